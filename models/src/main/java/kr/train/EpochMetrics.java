package kr.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line of {@code metrics.jsonl}: the epoch (1-based), the learning rate at its first step,
 * mean train loss and accuracy over its batches, test loss, top-1 and top-5 accuracy (fractions),
 * wall seconds (training and evaluation), training images per second, and the means of the
 * objective's named scalars as {@code train_<name>}.
 */
public record EpochMetrics(int epoch, double lr, double trainLoss, double trainAcc, double testLoss, double testAcc, double testTop5,
        double seconds, double imagesPerSecond, Map<String, Double> logs) {
    public EpochMetrics {
        logs = Map.copyOf(logs);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", (long) epoch);
        m.put("lr", lr);
        m.put("train_loss", trainLoss);
        m.put("train_acc", trainAcc);
        m.put("test_loss", testLoss);
        m.put("test_acc", testAcc);
        m.put("test_top5", testTop5);
        m.put("epoch_seconds", seconds);
        m.put("images_per_second", imagesPerSecond);
        new java.util.TreeMap<>(logs).forEach((k, v) -> m.put("train_" + k, v));
        return m;
    }

    public static EpochMetrics fromMap(Map<String, Object> m) {
        Map<String, Double> logs = new LinkedHashMap<>();
        for (var e : m.entrySet())
            if (e.getKey().startsWith("train_") && !e.getKey().equals("train_loss") && !e.getKey().equals("train_acc"))
                logs.put(e.getKey().substring(6), num(e.getValue()));
        return new EpochMetrics(((Number) m.get("epoch")).intValue(), num(m.get("lr")), num(m.get("train_loss")), num(m.get("train_acc")),
                num(m.get("test_loss")), num(m.get("test_acc")), num(m.get("test_top5")), num(m.get("epoch_seconds")),
                num(m.get("images_per_second")), logs);
    }

    /** The same metrics without the timing fields, which differ between runs (for reproducibility checks). */
    public EpochMetrics withoutTimes() {
        return new EpochMetrics(epoch, lr, trainLoss, trainAcc, testLoss, testAcc, testTop5, 0, 0, logs);
    }

    private static double num(Object o) {
        return o == null ? Double.NaN : ((Number) o).doubleValue(); // JSON writes NaN as null
    }
}
