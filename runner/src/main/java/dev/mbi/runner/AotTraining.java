package dev.mbi.runner;

import dev.mbi.config.Env;
import dev.mbi.contract.RunnerContract;
import dev.mbi.proto.v1.ControlMessage;
import dev.mbi.proto.v1.Heartbeat;
import dev.mbi.proto.v1.InputEvent;
import dev.mbi.proto.v1.KeyAction;
import dev.mbi.proto.v1.KeyEvent;
import dev.mbi.proto.v1.MouseButton;
import dev.mbi.proto.v1.PointerAction;
import dev.mbi.proto.v1.PointerEvent;
import dev.mbi.proto.v1.RunnerMessage;
import dev.mbi.proto.v1.RunnerServiceGrpc;
import dev.mbi.proto.v1.Shutdown;
import dev.mbi.proto.v1.StreamControl;
import dev.mbi.proto.v1.TypeText;
import dev.mbi.proto.v1.Welcome;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The training run for the runner's ahead-of-time cache ({@code java -XX:AOTCacheOutput=runner.aot
 * -jar runner.jar aot-training}, made by {@code make runner-aot}): one whole session against a
 * control plane of its own in this process, on a blank page. The classes a real runner loads and
 * links while it starts (gRPC, protobuf, jvppeteer, Chromium's start, the screencast, input) are
 * then in the cache, and a runner started with {@code -XX:AOTCache} skips that work.
 */
final class AotTraining {
    private static final Logger LOG = Logger.getLogger(AotTraining.class.getName());
    static final String ARGUMENT = "aot-training";
    private static final String SESSION = "aot-training";
    /** Frames and input keep flowing this long once the page is ready: the steady state's classes load too. */
    private static final long STEADY_MS = 2_000;

    private AotTraining() {
    }

    /** Runs the session; its exit code, as a runner's. */
    static int run(Function<RunnerContract, Integer> runner) throws java.io.IOException, InterruptedException {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        AtomicInteger frames = new AtomicInteger();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(new TrainingControlPlane(timer, frames)).build().start();
        try {
            RunnerContract contract = new RunnerContract(SESSION, "training", "127.0.0.1:" + server.getPort(),
                    RunnerContract.Settings.from(Env.system()));
            int code = runner.apply(contract);
            LOG.info("training session ended with " + code + " after " + frames.get() + " frames");
            return code == 0 && frames.get() > 0 ? 0 : 1;
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            timer.shutdownNow();
        }
    }

    /** Welcomes the runner to a blank page, sends it input once it is ready, and ends the session after a while. */
    private static final class TrainingControlPlane extends RunnerServiceGrpc.RunnerServiceImplBase {
        private final ScheduledExecutorService timer;
        private final AtomicInteger frames;

        TrainingControlPlane(ScheduledExecutorService timer, AtomicInteger frames) {
            this.timer = timer;
            this.frames = frames;
        }

        @Override
        public StreamObserver<RunnerMessage> connect(StreamObserver<ControlMessage> out) {
            return new StreamObserver<>() {
                @Override
                public void onNext(RunnerMessage m) {
                    switch (m.getKindCase()) {
                        case REGISTER -> send(ControlMessage.newBuilder().setWelcome(Welcome.newBuilder()
                                .setUrl("about:blank").setViewportWidth(1280).setViewportHeight(720).setMaxFps(30)
                                .setHeartbeatIntervalMs(1_000)).build());
                        case HEARTBEAT -> send(ControlMessage.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build());
                        case READY -> {
                            send(ControlMessage.newBuilder().setStreamControl(StreamControl.newBuilder().setFramesEnabled(true)).build());
                            for (InputEvent input : input()) {
                                send(ControlMessage.newBuilder().setInput(input).build());
                            }
                            timer.schedule(() -> send(ControlMessage.newBuilder()
                                    .setShutdown(Shutdown.newBuilder().setReason("training done")).build()), STEADY_MS, TimeUnit.MILLISECONDS);
                        }
                        case FRAME -> frames.incrementAndGet();
                        default -> {
                        }
                    }
                }

                private void send(ControlMessage message) {
                    synchronized (out) {
                        out.onNext(message);
                    }
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    synchronized (out) {
                        out.onCompleted();
                    }
                }
            };
        }

        /** What a viewer sends most: pointer moves and clicks, keys and typed text. */
        private static List<InputEvent> input() {
            return List.of(
                    pointer(PointerAction.POINTER_ACTION_MOVE, MouseButton.MOUSE_BUTTON_NONE, 0),
                    pointer(PointerAction.POINTER_ACTION_DOWN, MouseButton.MOUSE_BUTTON_LEFT, 1),
                    pointer(PointerAction.POINTER_ACTION_UP, MouseButton.MOUSE_BUTTON_LEFT, 1),
                    InputEvent.newBuilder().setKey(KeyEvent.newBuilder().setAction(KeyAction.KEY_ACTION_DOWN).setKey("a").setCode("KeyA")).build(),
                    InputEvent.newBuilder().setKey(KeyEvent.newBuilder().setAction(KeyAction.KEY_ACTION_UP).setKey("a").setCode("KeyA")).build(),
                    InputEvent.newBuilder().setText(TypeText.newBuilder().setText("training")).build());
        }

        private static InputEvent pointer(PointerAction action, MouseButton button, int clicks) {
            return InputEvent.newBuilder().setPointer(PointerEvent.newBuilder().setAction(action).setX(640).setY(360)
                    .setButton(button).setClickCount(clicks)).build();
        }
    }
}
