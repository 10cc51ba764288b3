package kr.data;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The downloader against a loopback HTTP server serving generated archives. */
class DownloaderTest {
    @TempDir
    Path tmp;

    HttpServer server;
    final Map<String, byte[]> files = new ConcurrentHashMap<>();
    final List<String> ranges = Collections.synchronizedList(new ArrayList<>());
    /** Requests (per file) whose response is cut off half-way. */
    final Map<String, AtomicInteger> breakNext = new ConcurrentHashMap<>();
    String base;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/files/", this::serve);
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + "/files/";
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange ex) throws IOException {
        String name = ex.getRequestURI().getPath().substring("/files/".length());
        byte[] body = files.get(name);
        String range = ex.getRequestHeaders().getFirst("Range");
        ranges.add(name + " " + range);
        try (ex) {
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            int from = 0;
            if (range != null && range.startsWith("bytes=") && range.endsWith("-")) from = Integer.parseInt(range.substring(6, range.length() - 1));
            if (from > 0) {
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
                ex.sendResponseHeaders(206, body.length - from);
            } else {
                ex.sendResponseHeaders(200, body.length);
            }
            OutputStream out = ex.getResponseBody();
            AtomicInteger b = breakNext.get(name);
            if (b != null && b.getAndDecrement() > 0) {
                out.write(body, from, (body.length - from) / 2);
                out.flush();
                return; // closing now leaves the promised length unmet: the client sees a broken transfer
            }
            out.write(body, from, body.length - from);
        } catch (IOException e) {
            // the cut-off response: HttpServer complains that fewer bytes were written than announced
        }
    }

    /** A tar.gz with a small cifar-10-batches-bin inside, padded with incompressible noise so it spans several reads. */
    byte[] archive() throws IOException {
        Path src = Fixtures.cifar10(tmp.resolve("src"), 4);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (var s = Files.list(src)) {
            for (Path p : s.sorted().toList()) entries.put("cifar-10-batches-bin/" + p.getFileName(), Files.readAllBytes(p));
        }
        byte[] noise = new byte[300_000];
        new java.util.Random(1).nextBytes(noise);
        entries.put("cifar-10-batches-bin/readme.html", noise);
        return Fixtures.tarGz(entries);
    }

    static String md5(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(b));
    }

    Downloader.Spec spec(byte[] archive) throws Exception {
        return new Downloader.Spec("tiny", List.of(new Downloader.Remote("tiny-cifar.tar.gz", base, md5(archive))), true, "cifar-10-batches-bin");
    }

    @Test
    void goodArchiveIsDownloadedVerifiedExtractedAndLoadable() throws Exception {
        byte[] a = archive();
        files.put("tiny-cifar.tar.gz", a);
        List<String> log = new ArrayList<>();
        List<long[]> progress = new ArrayList<>();
        Path root = tmp.resolve("data");
        Path dir = new Downloader(log::add, (f, done, total) -> progress.add(new long[] {done, total})).download(spec(a), root, null);
        assertEquals(root.resolve("cifar-10-batches-bin"), dir);
        assertEquals(20, DataSources.open(root, "train").size());
        long[] last = progress.get(progress.size() - 1);
        assertArrayEquals(new long[] {a.length, a.length}, last);
        assertTrue(log.stream().anyMatch(l -> l.contains("MD5") && l.contains("verified")), log.toString());
        assertFalse(Files.exists(root.resolve("tiny-cifar.tar.gz.part")));

        ranges.clear();
        new Downloader(log::add, Downloader.Progress.NONE).download(spec(a), root, null);
        assertEquals(List.of(), ranges, "a verified archive is not fetched again");
    }

    @Test
    void corruptedArchiveIsRejected() throws Exception {
        byte[] a = archive();
        a[a.length / 2] ^= 1;
        files.put("cifar-10-binary.tar.gz", a);
        Path root = tmp.resolve("data");
        // the official spec with --mirror pointing here: the bytes do not match the published MD5
        IOException e = assertThrows(IOException.class, () -> new Downloader(s -> {}, Downloader.Progress.NONE).download("cifar10", root, base));
        assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains("c32a1d4ab5d03f1284b67883e8d87530")
                && e.getMessage().contains("corrupt"), e.getMessage());
        assertFalse(Files.exists(root.resolve("cifar-10-binary.tar.gz.part")), "the corrupt download is deleted");
        assertFalse(Files.exists(root.resolve("cifar-10-binary.tar.gz")));
        assertFalse(Files.exists(root.resolve("cifar-10-batches-bin")));
    }

    /** Serves the archive with the first {@code breaks} responses cut off half-way. */
    byte[] serveBroken(int breaks) throws IOException {
        byte[] a = archive();
        files.put("tiny-cifar.tar.gz", a);
        breakNext.put("tiny-cifar.tar.gz", new AtomicInteger(breaks));
        return a;
    }

    @Test
    void interruptedDownloadResumesWithRange() throws Exception {
        byte[] a = serveBroken(1);
        Path root = tmp.resolve("data");
        List<String> log = new ArrayList<>();
        IOException e = assertThrows(IOException.class, () -> new Downloader(log::add, Downloader.Progress.NONE).attempts(1).download(spec(a), root, null));
        assertTrue(e.getMessage().contains("run again to resume"), e.getMessage());
        Path part = root.resolve("tiny-cifar.tar.gz.part");
        long have = Files.size(part);
        assertTrue(have > 0 && have < a.length, "partial file of " + have + " bytes");

        ranges.clear();
        new Downloader(log::add, Downloader.Progress.NONE).download(spec(a), root, null);
        assertEquals(List.of("tiny-cifar.tar.gz bytes=" + have + "-"), ranges);
        assertArrayEquals(a, Files.readAllBytes(root.resolve("tiny-cifar.tar.gz")));
        assertEquals(20, DataSources.open(root, "train").size());
    }

    @Test
    void retriesResumeWithinOneCall() throws Exception {
        byte[] a = serveBroken(2);
        Path root = tmp.resolve("data");
        new Downloader(s -> {}, Downloader.Progress.NONE).attempts(3).download(spec(a), root, null);
        assertEquals(3, ranges.size(), ranges.toString());
        assertTrue(ranges.get(0).endsWith(" null") && ranges.get(1).contains("bytes=") && ranges.get(2).contains("bytes="), ranges.toString());
        assertEquals(4, CifarBinary.cifar10(root.resolve("cifar-10-batches-bin"), "test").size());
    }

    @Test
    void unreachableHostSaysOffline() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String mirror = "http://127.0.0.1:" + port + "/";
        IOException e = assertThrows(IOException.class,
                () -> new Downloader(s -> {}, Downloader.Progress.NONE).timeoutMillis(2000).download("fashion-mnist", tmp.resolve("d"), mirror));
        assertTrue(e.getMessage().startsWith("[download] cannot reach 127.0.0.1") && e.getMessage().endsWith("(offline?)"), e.getMessage());
        IOException missing = assertThrows(IOException.class, () -> new Downloader(s -> {}, Downloader.Progress.NONE).download("cifar100", tmp.resolve("d"), base));
        assertTrue(missing.getMessage().contains("HTTP 404"), missing.getMessage());
    }

    @Test
    void tarRefusesEntriesOutsideTheTargetAndTruncation() throws Exception {
        Path bad = tmp.resolve("bad.tar.gz");
        Files.write(bad, Fixtures.tarGz(Map.of("../evil.txt", new byte[] {1})));
        IOException e = assertThrows(IOException.class, () -> Tar.extract(bad, tmp.resolve("out")));
        assertTrue(e.getMessage().contains("'../evil.txt' would be written outside"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("evil.txt")));

        String longName = "dir/" + "x".repeat(150) + ".bin";
        Path ok = tmp.resolve("long.tar.gz");
        Files.write(ok, Fixtures.tarGz(Map.of(longName, new byte[] {7, 8, 9})));
        List<Path> out = Tar.extract(ok, tmp.resolve("out"));
        assertEquals(List.of(tmp.resolve("out").resolve(longName).toAbsolutePath().normalize()), out);
        assertArrayEquals(new byte[] {7, 8, 9}, Files.readAllBytes(out.get(0)));

        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (var g = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(Fixtures.tarGz(Map.of("a.bin", new byte[5000]))))) {
            g.transferTo(raw);
        }
        Path cut = tmp.resolve("cut.tar");
        Files.write(cut, java.util.Arrays.copyOf(raw.toByteArray(), 512 + 2000));
        e = assertThrows(IOException.class, () -> Tar.extract(cut, tmp.resolve("out2")));
        assertTrue(e.getMessage().contains("ends inside 'a.bin'"), e.getMessage());
    }
}
