package dev.mbi.edge;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** The values a bench measured, sorted: nearest-rank percentiles, min, max and count for its rows. */
record Distribution(List<Double> sorted) {
    Distribution {
        if (sorted.isEmpty()) {
            throw new IllegalArgumentException("nothing was measured");
        }
    }

    static Distribution of(Collection<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return new Distribution(List.copyOf(sorted));
    }

    double percentile(int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    double min() {
        return sorted.getFirst();
    }

    double max() {
        return sorted.getLast();
    }

    int n() {
        return sorted.size();
    }

    /** e.g. "p50 / p95 12.3 / 15.0 ms (min–max 10.1–20.2, n 300)", each value with {@code format} (e.g. "%.1f"). */
    String summary(String format, String unit, int... percentiles) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int p : percentiles) {
            names.add("p" + p);
            values.add(String.format(Locale.ROOT, format, percentile(p)));
        }
        return String.join(" / ", names) + " " + String.join(" / ", values) + " " + unit
                + " (min–max " + String.format(Locale.ROOT, format, min()) + "–" + String.format(Locale.ROOT, format, max())
                + ", n " + n() + ")";
    }
}
