package kr.reproduce;

/**
 * Student's t distribution: its CDF from the regularized incomplete beta function,
 * {@code P(T <= t) = 1 - I_{df/(df+t^2)}(df/2, 1/2) / 2} for {@code t >= 0} (Abramowitz and Stegun
 * 26.7.1 with 26.5.27), the beta function by the continued fraction of Numerical Recipes (6.4) and
 * ln Gamma by Lanczos' approximation (g = 7, 9 terms); quantiles by bisection on the CDF. Used for the
 * 95% t-intervals of the grid report's paired differences.
 *
 * <pre>{@code double t = StudentT.quantile(0.975, 4); // 2.7764451 }</pre>
 */
public final class StudentT {
    private static final double[] LANCZOS = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};

    private StudentT() {}

    /** ln Gamma(x) for x > 0. */
    static double lnGamma(double x) {
        if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x); // reflection
        x -= 1;
        double a = LANCZOS[0], t = x + 7.5;
        for (int i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
    }

    /** The regularized incomplete beta function I_x(a, b), 0 <= x <= 1. */
    static double incompleteBeta(double x, double a, double b) {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
        // the continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) otherwise
        if (x < (a + 1) / (a + b + 2)) return front * betaFraction(x, a, b) / a;
        return 1 - front * betaFraction(1 - x, b, a) / b;
    }

    /** The continued fraction of the incomplete beta function by the modified Lentz method. */
    private static double betaFraction(double x, double a, double b) {
        final double tiny = 1e-300, eps = 1e-15;
        double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
        if (Math.abs(d) < tiny) d = tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 1000; m++) {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            if (Math.abs(d) < tiny) d = tiny;
            c = 1 + aa / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            if (Math.abs(d) < tiny) d = tiny;
            c = 1 + aa / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.abs(del - 1) < eps) return h;
        }
        throw new ArithmeticException("[student-t] the incomplete beta fraction did not converge for x=" + x + " a=" + a + " b=" + b);
    }

    /** {@code P(T <= t)} for {@code T ~ t(df)}. */
    public static double cdf(double t, double df) {
        if (!(df > 0)) throw new IllegalArgumentException("[student-t] degrees of freedom must be > 0, got " + df);
        double tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /** The p-quantile of t(df), {@code 0 < p < 1}. */
    public static double quantile(double p, double df) {
        if (!(p > 0 && p < 1)) throw new IllegalArgumentException("[student-t] probability must be in (0, 1), got " + p);
        if (p < 0.5) return -quantile(1 - p, df);
        double lo = 0, hi = 1;
        while (cdf(hi, df) < p) {
            lo = hi;
            hi *= 2;
        }
        for (int i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
            double mid = 0.5 * (lo + hi);
            if (cdf(mid, df) < p) lo = mid;
            else hi = mid;
        }
        return 0.5 * (lo + hi);
    }
}
