package io.tsmigrate.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension: {@code @ExtendWith(ServicesExtension.class)} on a test class hands its constructor,
 * lifecycle and test methods a {@link Services} and a {@link TestDatabases} (fresh databases for the class).
 */
public final class ServicesExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ServicesExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        databases(context);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        TestDatabases dbs = context.getStore(NS).remove("databases", TestDatabases.class);
        if (dbs != null) {
            dbs.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Services.class || type == TestDatabases.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Services.class ? Services.get() : databases(context);
    }

    private static TestDatabases databases(ExtensionContext context) {
        ExtensionContext classContext = context.getTestClass().isPresent() && context.getTestMethod().isPresent()
                ? context.getParent().orElse(context) : context;
        return classContext.getStore(NS).getOrComputeIfAbsent("databases", k -> {
            try {
                return TestDatabases.create(Services.get(), classContext.getRequiredTestClass().getSimpleName());
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("cannot create the test databases: " + e.getMessage(), e);
            }
        }, TestDatabases.class);
    }
}
