package kr.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import kr.data.Dataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code kr data}: fetch and inspect data sets. */
@Command(name = "data", mixinStandardHelpOptions = true, description = {"Download or inspect data sets.", ""}, subcommands = {DataCommand.Download.class, DataCommand.Info.class},
        footerHeading = "%nExamples:%n", footer = {"  kr data info data/cifar10", "  kr data info demo", "  kr data download cifar100 --dir data/cifar100"})
final class DataCommand implements Runnable {
    @ParentCommand
    Main main;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: download or info");
    }

    @Command(name = "download", mixinStandardHelpOptions = true,
            description = {"Download a data set (cifar10, cifar100, fashion-mnist), verify its checksums and unpack it.",
                    "An interrupted download resumes where it stopped when run again.", ""},
            footerHeading = "%nExamples:%n", footer = {"  kr data download cifar10", "  kr data download cifar100 --dir data/cifar100",
                    "  kr data download cifar10 --mirror http://mirror.local/cifar/"})
    static final class Download implements Callable<Integer> {
        @ParentCommand
        DataCommand parent;

        @Parameters(paramLabel = "NAME", description = "cifar10, cifar100 or fashion-mnist")
        String name;

        @Option(names = "--dir", paramLabel = "DIR", description = "Target directory (default: data/<NAME>).")
        String dir;

        @Option(names = "--mirror", paramLabel = "URL", description = "Base URL to fetch the files from instead of the official host.")
        String mirror;

        @Override
        public Integer call() {
            if (!kr.data.Downloader.names().contains(name))
                throw new kr.config.ConfigException("[download] unknown data set '" + name + "'; known: " + String.join(", ", kr.data.Downloader.names()));
            java.nio.file.Path root;
            try {
                root = java.nio.file.Path.of(dir == null ? "data/" + name : dir);
            } catch (java.nio.file.InvalidPathException e) {
                throw new kr.config.ConfigException("[download] --dir '" + dir + "' is not a usable path: " + e.getReason());
            }
            long[] last = {0};
            boolean[] midLine = {false}; // a progress line without its newline yet
            kr.data.Downloader d = new kr.data.Downloader(line -> {
                if (midLine[0]) parent.main.err.println();
                midLine[0] = false;
                parent.main.err.println(line);
            }, (file, done, total) -> {
                long now = System.nanoTime();
                if (now - last[0] < 500_000_000L && done != total) return;
                last[0] = now;
                parent.main.err.printf(Locale.ROOT, "\r%s: %.1f MB%s", file, done / 1e6,
                        total > 0 ? String.format(Locale.ROOT, " of %.1f MB (%d%%)", total / 1e6, 100 * done / total) : "");
                midLine[0] = done != total;
                if (done == total) parent.main.err.println();
            });
            try {
                java.nio.file.Path data = d.download(name, root, mirror);
                parent.main.out.println("kr data download: " + name + " is ready in " + data);
                return Main.OK;
            } catch (java.io.IOException e) {
                if (midLine[0]) parent.main.err.println(); // the error starts a line of its own
                String msg = e.getMessage() != null && e.getMessage().startsWith("[") ? e.getMessage()
                        : "[download] cannot write under " + root + ": " + e.getClass().getSimpleName() + " " + e.getMessage();
                throw new kr.train.DataException(msg, e);
            }
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = {"Describe a data set: splits, sizes, image shape, classes and images per class.", ""},
            footerHeading = "%nExamples:%n", footer = {"  kr data info demo", "  kr data info data/cifar10"})
    static final class Info implements Callable<Integer> {
        @ParentCommand
        DataCommand parent;

        @Parameters(paramLabel = "DIR", description = "Data set directory, or `demo` for the bundled subset.")
        String data;

        @Override
        public Integer call() {
            for (String split : new String[] {"train", "test"}) {
                Dataset ds = Zoo.open(data, split);
                int[] counts = new int[ds.numClasses()];
                for (int i = 0; i < ds.size(); i++) counts[ds.label(i)]++;
                parent.main.out.printf(Locale.ROOT, "%s %s: %,d images of %dx%dx%d (CHW), %d classes%n", data, split, ds.size(), ds.channels(), ds.height(),
                        ds.width(), ds.numClasses());
                StringBuilder b = new StringBuilder("  ");
                for (int c = 0; c < counts.length; c++) {
                    String item = ds.classes().get(c) + " " + counts[c];
                    if (b.length() + item.length() > 100) {
                        parent.main.out.println(b);
                        b = new StringBuilder("  ");
                    }
                    b.append(item).append(c + 1 < counts.length ? ", " : "");
                }
                parent.main.out.println(b);
            }
            return Main.OK;
        }
    }
}
