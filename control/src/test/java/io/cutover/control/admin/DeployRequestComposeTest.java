package io.cutover.control.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.admin.ApiModel.DeployRequest;
import io.cutover.control.config.ComposeSettings;
import io.cutover.control.deploy.runtime.Release;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** A deploy request's compose service and project go on the compose CLI's command line: names only. */
class DeployRequestComposeTest {

    private static DeployRequest asking(String service, String project) {
        return new DeployRequest("shop:v2", null, Map.of(), true, null, null, null, null, null, null, null, null, null,
                "/srv/shop/docker-compose.yml", service, project, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--output=/etc/cron.d/x", "-f", "app --verbose", "a\tb", ".hidden", "_x", ""})
    void aServiceThatIsNotAComposeNameIsRefusedWith400(String service) {
        ApiException e = assertThrows(ApiException.class,
                () -> asking(service, null).toRelease(true, "shop", ComposeSettings.NONE));
        assertEquals(400, e.status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--project-directory=/", "-p", "my project"})
    void aProjectThatIsNotAComposeNameIsRefusedWith400(String project) {
        ApiException e = assertThrows(ApiException.class,
                () -> asking("app", project).toRelease(true, "shop", ComposeSettings.NONE));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().startsWith("project"), e.getMessage());
    }

    @Test
    void serviceAndProjectNamesAsComposeWritesThemAreTaken() throws ApiException {
        Release r = asking("app-green_2.web", "shop_prod").toRelease(true, "shop", ComposeSettings.NONE);
        assertEquals(new Release.Compose("/srv/shop/docker-compose.yml", "app-green_2.web", "shop_prod"), r.compose());
    }
}
