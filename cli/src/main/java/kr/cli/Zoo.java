package kr.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import kr.data.Dataset;
import kr.models.Classifier;
import kr.models.Models;
import kr.train.DataException;
import kr.train.DataOpener;
import kr.train.DemoCnn;

/** Models and data sets by the names the command line takes. */
final class Zoo {
    private Zoo() {}

    /** The model zoo's names plus the demo network. */
    static List<String> modelNames() {
        List<String> n = new ArrayList<>(Models.names());
        if (!n.contains(DemoCnn.NAME)) n.add(DemoCnn.NAME);
        return n;
    }

    static Classifier create(String name, int classes) {
        if (name.equals(DemoCnn.NAME) && !Models.names().contains(name)) return demoCnn(classes);
        try {
            return Models.create(name, classes);
        } catch (IllegalArgumentException e) {
            throw new kr.config.ConfigException("[models] unknown model '" + kr.io.Json.printable(name) + "'; known: " + String.join(", ", modelNames()));
        }
    }

    /** The demo network: small enough to train on a few thousand images in minutes on two cores. */
    static DemoCnn demoCnn(int classes) {
        return new DemoCnn(8, 16, 32, classes);
    }

    /** Split {@code split} of data set {@code data}: "demo" is the bundled CIFAR-10 subset, anything else a directory. */
    static Dataset open(String data, String split) {
        try {
            if (data.equals("demo")) {
                DemoData.Splits s = DemoData.load();
                return switch (split) {
                    case "train" -> s.train();
                    case "test" -> s.test();
                    default -> throw new DataException("[data] the demo data has splits train and test, not '" + split + "'");
                };
            }
            return DataOpener.standard().open(Path.of(data), split);
        } catch (IOException e) {
            throw new DataException("[data] cannot read " + data + " (" + split + "): " + e.getMessage(), e);
        }
    }
}
