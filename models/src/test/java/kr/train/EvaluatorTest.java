package kr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EvaluatorTest {
    @Test
    void topKCountsRankTiesLikeArgmaxAndNeverCountsNaN() {
        float[] logits = {
            0, 5, 1, 2, // label 1: rank 0
            3, 3, 0, 0, // label 1 ties with class 0, which argmax picks: rank 1
            9, 1, 2, 3, // label 1: rank 3
            Float.NaN, 1, 0, 0, // label 1: a NaN logit ranks above it: rank 1
        };
        int[] labels = {1, 1, 1, 1};
        assertEquals(1, Evaluator.correct(logits, 4, labels, 1));
        assertEquals(3, Evaluator.correct(logits, 4, labels, 2));
        assertEquals(3, Evaluator.correct(logits, 4, labels, 3));
        assertEquals(4, Evaluator.correct(logits, 4, labels, 4));
        assertEquals(0, Evaluator.correct(new float[] {Float.NaN, 0}, 2, new int[] {0}, 2), "a NaN label logit is never correct");
    }
}
