package io.tsmigrate.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Bar charts of benchmark medians (XChart). */
final class Charts {

    private Charts() {
    }

    static void sink(Map<String, List<SinkBenchmark.Run>> results, Path png) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(800).height(450).title("Sink: time to apply (median of runs, lower is better)")
                .xAxisTitle("workload").yAxisTitle("seconds").build();
        List<String> workloads = new ArrayList<>(results.keySet());
        for (String contender : List.of("tsmigrate", "debezium-jdbc")) {
            List<Double> medians = new ArrayList<>();
            for (String w : workloads) {
                medians.add(Stats.median(results.get(w).stream().filter(r -> r.contender().equals(contender)).map(SinkBenchmark.Run::seconds).toList()));
            }
            chart.addSeries(contender, workloads, medians);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    static void bars(String title, String xTitle, String yTitle, Map<String, Double> values, Path png) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(800).height(450).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendVisible(false);
        chart.addSeries("median", new ArrayList<>(values.keySet()), new ArrayList<>(values.values()));
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    static void rate(List<RateBenchmark.Sample> samples, Path png) throws IOException {
        org.knowm.xchart.XYChart chart = new org.knowm.xchart.XYChartBuilder().width(900).height(450)
                .title("Sustained rate: load steps and sink lag").xAxisTitle("seconds").yAxisTitle("k rows/s; lag in s").build();
        List<Double> t = samples.stream().map(RateBenchmark.Sample::t).toList();
        chart.addSeries("target load (k rows/s)", t, samples.stream().map(s -> s.rate() / 1000.0).toList());
        chart.addSeries("sink lag (s)", t, samples.stream().map(RateBenchmark.Sample::sinkLagSeconds).toList());
        chart.addSeries("Kafka lag (k records)", t, samples.stream().map(s -> s.kafkaLag() / 1000.0).toList());
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
