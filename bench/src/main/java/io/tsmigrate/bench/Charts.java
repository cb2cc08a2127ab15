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

    static void soak(List<SoakBenchmark.Sample> samples, Path png) throws IOException {
        org.knowm.xchart.XYChart chart = new org.knowm.xchart.XYChartBuilder().width(1000).height(450)
                .title("Soak: lag and retained WAL under faults (dots: a fault)").xAxisTitle("seconds").yAxisTitle("s; MB; k records").build();
        List<SoakBenchmark.Sample> known = samples.stream().filter(s -> s.sinkLagSeconds() >= 0 && s.retainedBytes() >= 0 && s.kafkaLag() >= 0).toList();
        List<Double> t = known.stream().map(SoakBenchmark.Sample::t).toList();
        chart.addSeries("sink lag (s)", t, known.stream().map(SoakBenchmark.Sample::sinkLagSeconds).toList()).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        chart.addSeries("retained WAL (MB)", t, known.stream().map(s -> s.retainedBytes() / 1e6).toList()).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        chart.addSeries("Kafka lag (k records)", t, known.stream().map(s -> s.kafkaLag() / 1000.0).toList()).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        List<SoakBenchmark.Sample> faults = samples.stream().filter(s -> s.fault() != null).toList();
        if (!faults.isEmpty()) {
            chart.addSeries("fault", faults.stream().map(SoakBenchmark.Sample::t).toList(), faults.stream().map(s -> 0.0).toList())
                    .setXYSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
