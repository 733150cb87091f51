package dev.mbi.runner;

/** A browser for whole-runner tests: 800x600, nothing to capture, this process as its pid; tests decide what input does. */
abstract class FakeBrowser implements BrowserSession {
    @Override
    public void captureNow() {
    }

    @Override
    public int viewportWidth() {
        return 800;
    }

    @Override
    public int viewportHeight() {
        return 600;
    }

    @Override
    public long browserPid() {
        return ProcessHandle.current().pid();
    }

    @Override
    public void close() {
    }
}
