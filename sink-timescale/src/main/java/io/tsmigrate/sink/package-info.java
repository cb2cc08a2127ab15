/** The Timescale sink connector: applies Debezium change events to TimescaleDB exactly once. */
package io.tsmigrate.sink;
