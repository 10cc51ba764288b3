package kr.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Downloads the public data sets ({@code kr data download cifar10|cifar100|fashion-mnist}): fetches
 * each file into {@code NAME.part}, resuming a broken transfer with an HTTP Range request, checks
 * its MD5 against the published value, then unpacks tar.gz archives. A file already present with
 * the right checksum is not fetched again.
 *
 * <pre>{@code
 * Path dir = new Downloader(System.err::println, Downloader.Progress.NONE).download("cifar10", Path.of("data"), null);
 * Dataset train = DataSources.open(dir, "train");
 * }</pre>
 */
public final class Downloader {
    /** One file of a data set: its name, the URL directory it comes from and its MD5. */
    public record Remote(String file, String baseUrl, String md5) {}

    /**
     * A downloadable data set: its files, whether they are tar.gz archives to unpack, and the
     * directory (relative to the download root) that holds the data afterwards.
     */
    public record Spec(String name, List<Remote> files, boolean extract, String dataDir) {}

    /** Receives byte counts while a file downloads ({@code total} is -1 when the server does not say). */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (file, done, total) -> {};

        void update(String file, long done, long total);
    }

    private static final String TORONTO = "https://www.cs.toronto.edu/~kriz/";
    private static final String FASHION = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /** The known data sets with their official locations and checksums. */
    public static final Map<String, Spec> DATASETS = Map.of(
            "cifar10", new Spec("cifar10", List.of(new Remote("cifar-10-binary.tar.gz", TORONTO, "c32a1d4ab5d03f1284b67883e8d87530")), true,
                    "cifar-10-batches-bin"),
            "cifar100", new Spec("cifar100", List.of(new Remote("cifar-100-binary.tar.gz", TORONTO, "03b5dce01913d631647c71ecec9e9cb8")), true,
                    "cifar-100-binary"),
            "fashion-mnist", new Spec("fashion-mnist", List.of(
                    new Remote("train-images-idx3-ubyte.gz", FASHION, "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                    new Remote("train-labels-idx1-ubyte.gz", FASHION, "25c81989df183df01b3e8a0aad5dffbe"),
                    new Remote("t10k-images-idx3-ubyte.gz", FASHION, "bef4ecab320f06d8554ea6380940ec79"),
                    new Remote("t10k-labels-idx1-ubyte.gz", FASHION, "bb300cfdad3c16e7a12a480ee83cd310")), false, "fashion-mnist"));

    private final Consumer<String> log;
    private final Progress progress;
    private int attempts = 3;
    private int timeoutMillis = 30_000;

    public Downloader(Consumer<String> log, Progress progress) {
        this.log = log;
        this.progress = progress;
    }

    /** How many times one file is tried (each retry resumes where the last stopped); default 3. */
    public Downloader attempts(int n) {
        if (n < 1) throw new IllegalArgumentException("[download] attempts must be >= 1, got " + n);
        attempts = n;
        return this;
    }

    /** Connect and read timeout; default 30 s. */
    public Downloader timeoutMillis(int ms) {
        timeoutMillis = ms;
        return this;
    }

    public static List<String> names() {
        return DATASETS.keySet().stream().sorted().toList();
    }

    /** Downloads the named data set into {@code root}, from {@code mirror} (a base URL) instead of the official host when given. */
    public Path download(String name, Path root, String mirror) throws IOException {
        Spec spec = DATASETS.get(name);
        if (spec == null) throw new IllegalArgumentException("[download] unknown data set '" + name + "'; known: " + String.join(", ", names()));
        return download(spec, root, mirror);
    }

    /** Downloads {@code spec}; returns the directory that holds the data ({@code root/spec.dataDir}). */
    public Path download(Spec spec, Path root, String mirror) throws IOException {
        if (mirror != null && !mirror.isBlank()) requireHttpUrl("--mirror", mirror);
        Files.createDirectories(root);
        Path dataDir = root.resolve(spec.dataDir());
        for (Remote r : spec.files()) {
            Path dest = spec.extract() ? root.resolve(r.file()) : dataDir.resolve(r.file());
            String base = mirror != null && !mirror.isBlank() ? (mirror.endsWith("/") ? mirror : mirror + "/") : r.baseUrl();
            boolean fresh = fetch(base + r.file(), dest, r.md5());
            if (spec.extract() && (fresh || !Files.isDirectory(dataDir))) extract(dest, root);
        }
        if (!Files.isDirectory(dataDir)) throw new IOException("[download] " + spec.name() + ": expected " + dataDir + " after unpacking, but it is not there");
        log.accept("[download] " + spec.name() + " is ready in " + dataDir);
        return dataDir;
    }

    /**
     * Unpacks into a scratch folder first and then moves each top-level entry into {@code root}, so
     * an interrupted extraction never leaves a half-filled data directory behind.
     */
    private void extract(Path archive, Path root) throws IOException {
        Path scratch = root.resolve(".kr-extract-" + archive.getFileName());
        deleteTree(scratch);
        log.accept("[download] extracting " + archive.getFileName() + " into " + root);
        List<Path> files = Tar.extract(archive, scratch);
        try (var s = Files.list(scratch)) {
            for (Path p : s.toList()) {
                Path target = root.resolve(p.getFileName().toString());
                deleteTree(target);
                Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        deleteTree(scratch);
        log.accept("[download] extracted " + files.size() + " files");
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    /**
     * Makes {@code dest} a verified copy of {@code url}: skips the transfer if it already matches
     * {@code md5}, otherwise downloads into {@code dest.part} (resuming it when present), checks the
     * MD5 and renames. A corrupt download is deleted and reported. Returns whether it downloaded.
     */
    public boolean fetch(String url, Path dest, String md5) throws IOException {
        if (Files.isRegularFile(dest)) {
            if (md5 == null || md5(dest).equals(md5)) {
                log.accept("[download] " + dest.getFileName() + " is already here and verified");
                return false;
            }
            log.accept("[download] " + dest + " does not match its checksum; downloading it again");
            Files.delete(dest);
        }
        Files.createDirectories(dest.toAbsolutePath().getParent());
        Path part = dest.resolveSibling(dest.getFileName() + ".part");
        IOException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                transfer(url, part);
                last = null;
                break;
            } catch (PermanentFailure e) {
                throw e;
            } catch (IOException e) {
                last = e;
                long have = Files.exists(part) ? Files.size(part) : 0;
                log.accept("[download] " + url + ": attempt " + attempt + " of " + attempts + " broke off at " + have + " bytes: " + e.getMessage()
                        + (attempt < attempts ? "; resuming" : ""));
            }
        }
        if (last != null) throw new IOException("[download] " + url + " failed after " + attempts + " attempts ("
                + (Files.exists(part) && Files.size(part) > 0 ? "the partial file " + part + " is kept; run again to resume" : "nothing was received") + "): "
                + last.getMessage(), last);
        if (md5 != null) {
            String got = md5(part);
            if (!got.equals(md5)) {
                Files.delete(part);
                throw new IOException("[download] " + url + ": checksum mismatch, MD5 " + got + " but expected " + md5
                        + "; the download is corrupt and was deleted (run again, or check --mirror)");
            }
            log.accept("[download] " + dest.getFileName() + ": MD5 " + got + " verified");
        }
        Files.move(part, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /** Refuses anything but an http(s) URL with a host, naming the option and the value. */
    static void requireHttpUrl(String what, String url) {
        URI u;
        try {
            u = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new kr.config.ConfigException("[download] " + what + " '" + url + "' is not a URL: " + e.getReason());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null)
            throw new kr.config.ConfigException("[download] " + what + " '" + url + "' is not an http(s) URL with a host (kr downloads over http and https only)");
    }

    /** The host cannot be reached or refuses the file: retrying will not help. */
    static final class PermanentFailure extends IOException {
        PermanentFailure(String msg, Throwable cause) {
            super(msg, cause);
        }
    }

    private void transfer(String url, Path part) throws IOException {
        long have = Files.exists(part) ? Files.size(part) : 0;
        URI uri = URI.create(url);
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) uri.toURL().openConnection();
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new PermanentFailure("[download] '" + url + "' is not an http(s) URL", e);
        }
        c.setConnectTimeout(timeoutMillis);
        c.setReadTimeout(timeoutMillis);
        c.setInstanceFollowRedirects(true);
        c.setRequestProperty("User-Agent", "kr-downloader");
        if (have > 0) c.setRequestProperty("Range", "bytes=" + have + "-");
        int status;
        try {
            status = c.getResponseCode();
        } catch (UnknownHostException | ConnectException | NoRouteToHostException | SocketTimeoutException e) {
            throw new PermanentFailure("[download] cannot reach " + uri.getHost() + ": " + e.getMessage() + " (offline?)", e);
        }
        boolean append;
        if (status == HttpURLConnection.HTTP_PARTIAL && have > 0) {
            append = true;
            log.accept("[download] resuming " + part.getFileName() + " at byte " + have);
        } else if (status == HttpURLConnection.HTTP_OK) {
            append = false; // the server ignored the range: start over
            have = 0;
        } else if (status == 416 && have > 0) { // range not satisfiable: the part is already complete (or wrong); let the checksum decide
            c.disconnect();
            return;
        } else {
            c.disconnect();
            throw new PermanentFailure("[download] " + url + ": HTTP " + status + " " + c.getResponseMessage(), null);
        }
        long length = c.getContentLengthLong();
        long total = length < 0 ? -1 : length + (append ? have : 0);
        String file = part.getFileName().toString().replace(".part", "");
        try (InputStream in = c.getInputStream();
                OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            long done = have, lastReport = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n); // unbuffered on purpose: what was received survives a crash, for the resume
                done += n;
                if (done - lastReport >= 1 << 20) {
                    progress.update(file, done, total);
                    lastReport = done;
                }
            }
            progress.update(file, done, total);
            if (total >= 0 && done != total) throw new IOException("connection closed at " + done + " of " + total + " bytes");
        } finally {
            c.disconnect();
        }
    }

    static String md5(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("MD5");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest()).toLowerCase(Locale.ROOT);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
