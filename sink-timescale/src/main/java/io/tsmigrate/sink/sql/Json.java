package io.tsmigrate.sink.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.connect.errors.DataException;

import java.util.LinkedHashMap;
import java.util.Map;

/** JSON text for map values and hstore conversion. */
public final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .streamReadConstraints(io.tsmigrate.json.JsonLimits.READ).build());

    private Json() {
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new DataException("cannot write a value as JSON: " + e.getOriginalMessage(), e);
        }
    }

    static Map<String, Object> parseObject(String json) {
        try {
            return MAPPER.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (JsonProcessingException e) {
            throw new DataException("expected a JSON object, got: " + (json.length() > 80 ? json.substring(0, 80) + "..." : json), e);
        }
    }
}
