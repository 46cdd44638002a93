package io.cohortflow.core.estimate;

import java.util.List;

/**
 * A draft's audience estimated from uniform samples of the users: the estimated size, a 95 %
 * confidence interval, and the sample behind them.
 *
 * <p>The job samples each subtask's users separately (a stratum each: {@link Stratum}), so the size
 * is the stratified estimate {@code sum(N_i * m_i / n_i)}. The interval is Wilson's score interval
 * for that proportion, at the stratified design's effective sample size {@code N^2 / sum(N_i^2 (1 -
 * f_i) / n_i)} (with {@code f_i = n_i / N_i}; Kish's, finite-population corrected per stratum): the
 * sample size at which a simple random sample's proportion would vary as the stratified one does.
 * Where every stratum samples the same share it is the pooled {@code n / (1 - n/N)}; where they do
 * not (subtasks holding very different numbers of users), a fully sampled small stratum adds no
 * certainty about a large one, and the pooled size made the interval too narrow. It does not
 * collapse to a point when no sampled user matched (as the normal approximation does), and it
 * narrows to the exact count as the sample approaches the whole population. It is then clamped to
 * what the sample proves: at least the matched users are members, and at most everyone but the
 * sampled users who did not match.
 *
 * @param exact every user was evaluated: the size is the count, not an estimate
 */
public record AudienceEstimate(
        long size,
        long low,
        long high,
        double confidence,
        long population,
        long sampled,
        long matched,
        boolean exact) {

    /** The confidence of the interval. */
    public static final double CONFIDENCE = 0.95;

    private static final double Z = 1.959963984540054;

    /** One subtask's sample: its users, how many it evaluated, how many the draft matched. */
    public record Stratum(long population, long sampled, long matched) {
        public Stratum {
            if (sampled < 0 || sampled > population || matched < 0 || matched > sampled) {
                throw new IllegalArgumentException(
                        "a sample needs 0 <= matched <= sampled <= population, got "
                                + matched
                                + ", "
                                + sampled
                                + ", "
                                + population);
            }
        }
    }

    public static AudienceEstimate of(List<Stratum> strata) {
        long population = 0;
        long sampled = 0;
        long matched = 0;
        double size = 0;
        for (Stratum s : strata) {
            population += s.population();
            sampled += s.sampled();
            matched += s.matched();
            if (s.sampled() > 0) {
                size += (double) s.population() * s.matched() / s.sampled();
            }
        }
        if (sampled == population) {
            return new AudienceEstimate(
                    matched, matched, matched, CONFIDENCE, population, sampled, matched, true);
        }
        long lowest = matched;
        long highest = population - (sampled - matched);
        double p = size / population;
        double n = effectiveSampleSize(strata, population);
        double z2 = Z * Z;
        double center = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z / (1 + z2 / n) * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        long low = Math.max(lowest, (long) Math.floor(population * Math.max(0, center - half)));
        long high = Math.min(highest, (long) Math.ceil(population * Math.min(1, center + half)));
        long estimate = Math.max(low, Math.min(high, Math.round(size)));
        return new AudienceEstimate(
                estimate, low, high, CONFIDENCE, population, sampled, matched, false);
    }

    /**
     * Kish's effective sample size of the stratified sample (see the class comment). Strata not
     * sampled at all carry no information and are left out, as they are of the size.
     */
    private static double effectiveSampleSize(List<Stratum> strata, long population) {
        long sampled = 0;
        double spread = 0;
        for (Stratum s : strata) {
            sampled += s.sampled();
            if (s.sampled() > 0) {
                double share = (double) s.sampled() / s.population();
                spread += (double) s.population() * s.population() * (1 - share) / s.sampled();
            }
        }
        // Zero when every sampled stratum was sampled whole and only unsampled ones are unknown
        // (the job samples every subtask that holds users): then the pooled size, which does not
        // claim to know them.
        return spread > 0
                ? (double) population * population / spread
                : sampled / (1 - (double) sampled / population);
    }
}
