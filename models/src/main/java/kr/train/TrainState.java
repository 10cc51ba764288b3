package kr.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.engine.Rng;

/**
 * The trainer's resumable state, as {@code last.json} holds it: where training is (epoch, step,
 * global step), the run's generator, the best test accuracy so far, the finished epochs' metrics
 * and the sums of the epoch in progress. With the weights and optimizer tensors saved beside it, a
 * resumed run continues exactly as an uninterrupted one.
 *
 * <pre>{@code
 * Map<String, Object> saved = state.toMap();             // the trainer adds model, optimizer and config
 * TrainState back = new TrainState(new Rng(seed)); back.load(saved);
 * }</pre>
 */
final class TrainState {
    int epoch, step;
    long globalStep;
    final Rng rng;
    double bestAcc = -1;
    int bestEpoch;
    final List<EpochMetrics> history = new ArrayList<>();
    Partial partial = new Partial();

    TrainState(Rng rng) {
        this.rng = rng;
    }

    /** The state as entries of {@code last.json}'s object (the trainer adds the model, optimizer and configuration). */
    Map<String, Object> toMap() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("epoch", (long) epoch);
        s.put("step", (long) step);
        s.put("global_step", globalStep);
        List<Object> words = new ArrayList<>();
        for (long w : rng.state()) words.add(Long.toHexString(w));
        s.put("rng", words);
        s.put("best_acc", bestAcc);
        s.put("best_epoch", (long) bestEpoch);
        s.put("partial", partial.toMap());
        List<Object> ms = new ArrayList<>();
        for (EpochMetrics m : history) ms.add(m.toMap());
        s.put("metrics", ms);
        return s;
    }

    /** Restores the position, generator, best accuracy, metrics and partial sums from {@code last.json}'s object. */
    void load(Map<String, Object> st) {
        epoch = num(st, "epoch").intValue();
        step = num(st, "step").intValue();
        globalStep = num(st, "global_step").longValue();
        bestAcc = num(st, "best_acc").doubleValue();
        bestEpoch = num(st, "best_epoch").intValue();
        if (!(st.get("rng") instanceof List<?> rs)) throw new CheckpointException("[checkpoint] training state lacks the generator state 'rng'");
        long[] words = new long[rs.size()];
        try {
            for (int i = 0; i < words.length; i++) words[i] = Long.parseUnsignedLong((String) rs.get(i), 16);
        } catch (RuntimeException e) {
            throw new CheckpointException("[checkpoint] training state has a malformed generator state: " + rs);
        }
        rng.setState(words);
        history.clear();
        if (!(st.get("metrics") instanceof List<?> ms)) throw new CheckpointException("[checkpoint] training state lacks its 'metrics' list");
        for (Object o : ms) history.add(EpochMetrics.fromMap(asMap(o)));
        partial = Partial.fromMap(asMap(st.get("partial")));
    }

    static Number num(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof Number n)) throw new CheckpointException("[checkpoint] training state lacks a number '" + k + "'");
        return n;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object o) {
        if (!(o instanceof Map)) throw new CheckpointException("[checkpoint] training state is malformed: expected an object, got " + o);
        return (Map<String, Object>) o;
    }

    /** Sums over the steps of the epoch in progress (saved, so a resumed epoch reports what an uninterrupted one would). */
    static final class Partial {
        double lossSum, trainSeconds, lr = Double.NaN;
        long correct, seen;
        final Map<String, Double> logSums = new LinkedHashMap<>();

        void add(double loss, int ok, int n, Map<String, Double> logs) {
            Map<String, Double> weighted = new LinkedHashMap<>();
            logs.forEach((k, v) -> weighted.put(k, v * n));
            addSums(loss * n, ok, n, weighted);
        }

        /** Sums already weighted by batch size (a step runner's). */
        void addSums(double loss, long ok, long n, Map<String, Double> weightedLogs) {
            lossSum += loss;
            correct += ok;
            seen += n;
            weightedLogs.forEach((k, v) -> logSums.merge(k, v, Double::sum));
        }

        Map<String, Double> meanLogs() {
            Map<String, Double> r = new LinkedHashMap<>();
            logSums.forEach((k, v) -> r.put(k, v / seen));
            return r;
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("loss_sum", lossSum);
            m.put("correct", correct);
            m.put("seen", seen);
            m.put("train_seconds", trainSeconds);
            m.put("lr", lr);
            m.put("log_sums", new LinkedHashMap<>(logSums));
            return m;
        }

        static Partial fromMap(Map<String, Object> m) {
            Partial p = new Partial();
            p.lossSum = num(m, "loss_sum").doubleValue();
            p.correct = num(m, "correct").longValue();
            p.seen = num(m, "seen").longValue();
            p.trainSeconds = num(m, "train_seconds").doubleValue();
            p.lr = m.get("lr") instanceof Number n ? n.doubleValue() : Double.NaN;
            asMap(m.get("log_sums")).forEach((k, v) -> {
                if (!(v instanceof Number n)) throw new CheckpointException("[checkpoint] training state has a non-numeric log sum '" + k + "'");
                p.logSums.put(k, n.doubleValue());
            });
            return p;
        }
    }
}
