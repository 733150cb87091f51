package dev.mbi.runner;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.onvoid.webrtc.media.video.NativeI420Buffer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * {@link JpegPlanes} by libjpeg-turbo (Debian's {@code libturbojpeg0}, called through the JDK's
 * foreign function API). A JPEG is YCbCr already: its 4:2:0 planes are what the VP8 encoder takes,
 * so this skips the conversion to RGB and back that ImageIO and libyuv would do, and
 * libjpeg-turbo's SIMD decoder is several times faster than the JDK's. One decoder per video
 * source; its calls are serialised.
 */
final class TurboJpeg implements JpegPlanes {
    private static final Logger LOG = Logger.getLogger(TurboJpeg.class.getName());
    static final String LIBRARY = "libturbojpeg.so.0";
    /** TurboJPEG's TJSAMP_420: chroma halved both ways, as libwebrtc's I420. */
    private static final int SAMP_420 = 2;
    /** TurboJPEG's TJERR_WARNING: the picture was decoded in spite of a flaw in its data. */
    private static final int ERROR_WARNING = 0;

    /**
     * A JPEG's YCbCr uses the full 0–255 range (JFIF), libwebrtc's I420 the video range (BT.601:
     * luma 16–235, chroma 16–240), as libyuv makes it from RGB: without this, blacks and whites
     * would clip and every colour would gain contrast.
     */
    private static final byte[] LUMA = rangeTable(0, 16, 219);
    private static final byte[] CHROMA = rangeTable(128, 128, 224);
    private final byte[] row = new byte[64 * 1024];

    private final MethodHandle decompressHeader;
    private final MethodHandle decompressToPlanes;
    private final MethodHandle errorCode;
    private final MethodHandle errorText;
    private final MethodHandle destroy;
    private MemorySegment handle;

    /** Loads libturbojpeg and makes a decompressor; called by {@link JpegPlanes#open()}. */
    TurboJpeg() throws Throwable {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(LIBRARY + " cannot be loaded (apt-get install libturbojpeg0)", e);
        }
        Linker linker = Linker.nativeLinker();
        MethodHandle init = linker.downcallHandle(find(lib, "tjInitDecompress"), FunctionDescriptor.of(ADDRESS));
        decompressHeader = linker.downcallHandle(find(lib, "tjDecompressHeader3"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        decompressToPlanes = linker.downcallHandle(find(lib, "tjDecompressToYUVPlanes"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        errorCode = linker.downcallHandle(find(lib, "tjGetErrorCode"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        errorText = linker.downcallHandle(find(lib, "tjGetErrorStr2"), FunctionDescriptor.of(ADDRESS, ADDRESS));
        destroy = linker.downcallHandle(find(lib, "tjDestroy"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        handle = (MemorySegment) init.invokeExact();
        if (handle.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("tjInitDecompress failed");
        }
    }

    @Override
    public synchronized Optional<NativeI420Buffer> decode(byte[] jpeg) throws IOException {
        if (handle == null) {
            throw new IOException("the decoder is closed");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment source = arena.allocate(jpeg.length);
            MemorySegment.copy(jpeg, 0, source, JAVA_BYTE, 0, jpeg.length);
            MemorySegment width = arena.allocate(JAVA_INT);
            MemorySegment height = arena.allocate(JAVA_INT);
            MemorySegment subsampling = arena.allocate(JAVA_INT);
            MemorySegment colorspace = arena.allocate(JAVA_INT);
            int header = (int) decompressHeader.invokeExact(handle, source, (long) jpeg.length, width, height, subsampling, colorspace);
            check(header, "read");
            int w = width.get(JAVA_INT, 0);
            int h = height.get(JAVA_INT, 0);
            if (subsampling.get(JAVA_INT, 0) != SAMP_420) {
                return Optional.empty();
            }
            NativeI420Buffer picture = NativeI420Buffer.allocate(w, h);
            try {
                MemorySegment planes = arena.allocate(ADDRESS, 3);
                planes.setAtIndex(ADDRESS, 0, MemorySegment.ofBuffer(picture.getDataY()));
                planes.setAtIndex(ADDRESS, 1, MemorySegment.ofBuffer(picture.getDataU()));
                planes.setAtIndex(ADDRESS, 2, MemorySegment.ofBuffer(picture.getDataV()));
                MemorySegment strides = arena.allocateFrom(JAVA_INT, picture.getStrideY(), picture.getStrideU(), picture.getStrideV());
                int decoded = (int) decompressToPlanes.invokeExact(handle, source, (long) jpeg.length, planes, w, strides, h, 0);
                check(decoded, "decode");
                toVideoRange(picture.getDataY(), LUMA);
                toVideoRange(picture.getDataU(), CHROMA);
                toVideoRange(picture.getDataV(), CHROMA);
                return Optional.of(picture);
            } catch (IOException | RuntimeException | Error e) {
                picture.release();
                throw e;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Each full-range value's video-range one: {@code from} maps to {@code to}, the range shrunk by {@code span}/255. */
    private static byte[] rangeTable(int from, int to, int span) {
        byte[] table = new byte[256];
        for (int v = 0; v < 256; v++) {
            table[v] = (byte) Math.round(to + (v - from) * span / 255.0);
        }
        return table;
    }

    private void toVideoRange(java.nio.ByteBuffer plane, byte[] table) {
        java.nio.ByteBuffer all = plane.duplicate().clear();
        while (all.hasRemaining()) {
            int n = Math.min(row.length, all.remaining());
            int at = all.position();
            all.get(row, 0, n);
            for (int i = 0; i < n; i++) {
                row[i] = table[row[i] & 0xff];
            }
            all.put(at, row, 0, n);
        }
    }

    /** A failed call's error, unless it was only a warning (the picture is there). */
    private void check(int result, String what) throws Throwable {
        if (result == 0 || (int) errorCode.invokeExact(handle) == ERROR_WARNING) {
            return;
        }
        MemorySegment text = (MemorySegment) errorText.invokeExact(handle);
        // TurboJPEG's messages are short (JMSG_LENGTH_MAX is 200).
        throw new IOException("TurboJPEG could not " + what + " the frame: " + text.reinterpret(200).getString(0));
    }

    @Override
    public synchronized void close() {
        if (handle == null) {
            return;
        }
        try {
            int ignored = (int) destroy.invokeExact(handle);
        } catch (Throwable e) {
            LOG.fine("tjDestroy failed: " + e);
        }
        handle = null;
    }

    private static MemorySegment find(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new IllegalStateException(LIBRARY + " has no " + name));
    }
}
