package io.cutover.proxy;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The usual setup of a proxy test: one {@link TestBackend} and a {@link TestProxy} switched to
 * it, started before each test and closed after it (after the test's own {@code @AfterEach}).
 * Register it on a field: {@code @RegisterExtension final ProxiedApp proxied = new ProxiedApp();}
 */
public final class ProxiedApp implements BeforeEachCallback, AfterEachCallback {
    private final String name;
    private final ProxySettings settings;
    private TestBackend app;
    private TestProxy proxy;

    /** A backend named "app" behind a proxy with the default settings. */
    public ProxiedApp() {
        this("app", ProxySettings.defaults());
    }

    /** A backend named {@code name} (its answers say so) behind a proxy with {@code settings}. */
    public ProxiedApp(String name, ProxySettings settings) {
        this.name = name;
        this.settings = settings;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        app = TestBackend.start(name);
        proxy = TestProxy.start(settings);
        proxy.switchTo(app.target());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (proxy != null) {
            proxy.close();
        }
        if (app != null) {
            app.close();
        }
    }

    public TestBackend app() {
        return app;
    }

    public TestProxy proxy() {
        return proxy;
    }
}
