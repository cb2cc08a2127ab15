/** Schema copy, hypertable conversion, consistent parallel snapshot and hand-over to streaming. */
package io.tsmigrate.bootstrap;
