package io.tsmigrate.cli;

import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class SourceStreamsTest {

    @Test
    void one_stream_keeps_the_migrations_names_and_the_sink_reads_every_change_topic_of_every_stream() {
        SourceStreams one = SourceStreams.of(Names.of("mig"), 1);
        assertThat(one.streams()).containsExactly(new SourceStreams.Stream(1, "mig-source", "mig", "mig", "mig"));
        assertThat(one.sinkTopicRegex()).isEqualTo(Pattern.quote("mig") + "\\.(?!transaction$).*");
        SourceStreams two = SourceStreams.of(Names.of("mig"), 2);
        assertThat(two.connectors()).containsExactly("mig-source", "mig-source-2");
        assertThat(two.slots()).containsExactly("mig", "mig_2");
        assertThat(two.publications()).containsExactly("mig", "mig_2");
        Pattern sink = Pattern.compile(two.sinkTopicRegex());
        assertThat(sink.matcher("mig.public.orders").matches()).isTrue();
        assertThat(sink.matcher("mig_2.public.orders").matches()).isTrue();
        assertThat(sink.matcher("mig_2.message").matches()).isTrue();
        assertThat(sink.matcher("mig.transaction").matches()).isFalse();
        assertThat(sink.matcher("mig_2.transaction").matches()).isFalse();
        assertThat(sink.matcher("mig_3.public.orders").matches()).isFalse();
        assertThat(sink.matcher("other.public.orders").matches()).isFalse();
        assertThat(two.owns("mig_2.public.x")).isTrue();
        assertThat(two.owns("mig_20.public.x")).isFalse();
        assertThat(two.isTransactionTopic("mig_2.transaction")).isTrue();
        assertThat(two.isMessageTopic("mig.message")).isTrue();
        assertThat(two.isMessageTopic("mig_2.public.message")).isFalse();
    }
}
