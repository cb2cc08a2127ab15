package io.tsmigrate.source;

import io.debezium.pipeline.source.spi.EventMetadataProvider;
import io.debezium.spi.schema.DataCollectionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * What Debezium's {@code LastEvent} metric (JMX) says about the last change. Debezium 3.6 renders every change it
 * streams into a JSON summary for that one attribute, building a Jackson {@code ObjectMapper} for each
 * (debezium/dbz#2492, fixed in a later Debezium): measured here, a third of the CPU of the thread that decodes the
 * WAL, the thread that limits how many changes a second one connector streams. With {@value #SETTING}{@code =table}
 * (the default) the attribute names the table of the last change instead, which costs nothing; {@code debezium}
 * keeps Debezium's summary. Every other metric (counts, lag, queue) is Debezium's own, unchanged.
 *
 * <p>The summary is reached through Debezium 3.6's fields (task, coordinator, metrics, meter); where a Debezium
 * version lays them out otherwise, this logs so and leaves the metric as it is.
 */
final class LastEventSummary {

    static final String SETTING = "tsmigrate.last.event";
    private static final Logger LOG = LoggerFactory.getLogger(LastEventSummary.class);

    private LastEventSummary() {
    }

    /** Whether {@code config} asks for the table only (the default). */
    static boolean tableOnly(Map<String, String> config) {
        String v = config.getOrDefault(SETTING, "table").trim();
        if (!v.equals("table") && !v.equals("debezium")) {
            throw new IllegalArgumentException(SETTING + " must be table or debezium, not " + v);
        }
        return v.equals("table");
    }

    /**
     * Makes the Debezium task's metrics summarise each change by its table. False while the task has no coordinator
     * yet (Debezium starts it again from {@code poll} after a start that failed); true once done or given up.
     */
    static boolean tableOnly(Object debeziumTask) {
        try {
            Object coordinator = get(debeziumTask, "coordinator");
            if (coordinator == null) {
                return false;
            }
            int replaced = 0;
            for (String metrics : new String[] {"snapshotMetrics", "streamingMetrics"}) {
                Object m = get(coordinator, metrics);
                Object meter = m == null ? null : get(m, "commonEventMeter");
                if (meter != null) {
                    Field f = field(meter.getClass(), "metadataProvider");
                    f.set(meter, byTable((EventMetadataProvider) f.get(meter)));
                    replaced++;
                }
            }
            if (replaced > 0) {
                LOG.info("Debezium's LastEvent metric names the table of the last change ({}=table)", SETTING);
            } else {
                LOG.warn("Debezium's LastEvent metric is left as Debezium makes it: its metrics were not found where Debezium 3.6 keeps them");
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("Debezium's LastEvent metric is left as Debezium makes it: {}", e.toString());
        }
        return true;
    }

    /** The provider, except that a change's summary is its table's name. */
    static EventMetadataProvider byTable(EventMetadataProvider provider) {
        return (EventMetadataProvider) Proxy.newProxyInstance(EventMetadataProvider.class.getClassLoader(), new Class<?>[] {EventMetadataProvider.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("toSummaryString") && args != null && args.length > 0) {
                        return args[0] instanceof DataCollectionId id ? id.identifier() : String.valueOf(args[0]);
                    }
                    if (method.getDeclaringClass() == Object.class) {
                        return objectMethod(proxy, method, args, provider);
                    }
                    try {
                        return method.invoke(provider, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static Object objectMethod(Object proxy, Method method, Object[] args, EventMetadataProvider provider) {
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            default -> "table-only summaries of " + provider;
        };
    }

    private static Object get(Object owner, String name) throws ReflectiveOperationException {
        return field(owner.getClass(), name).get(owner);
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException e) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(type.getName() + "." + name);
    }
}
