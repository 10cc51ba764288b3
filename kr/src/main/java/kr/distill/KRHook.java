package kr.distill;

import java.util.Map;
import kr.data.Batch;
import kr.train.StepContext;
import kr.train.StepHook;

/** Applies KR's sparse recoding penalty between backward and the optimizer step, and logs its value. */
final class KRHook implements StepHook {
    private final KR kr;

    KRHook(KR kr) {
        this.kr = kr;
    }

    @Override
    public void afterBackward(StepContext ctx, Batch batch, Map<String, Double> logs) {
        logs.put("kr_penalty", kr.penalize(ctx.fractionalEpoch()));
    }
}
