package io.cutover.control.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.cutover.control.deploy.runtime.AppRuntime.RuntimeFailure;
import io.cutover.control.deploy.runtime.ContainerSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Services of a normalised compose model (as `docker-compose config` prints it) read into a colour's container; no engine needed. */
class ComposeModelTest {
    private static final String FILE = "/srv/shop/docker-compose.yml";

    /** A model as docker-compose 1.29's config prints it (YAML), for project "shop" (its directory). */
    private static ComposeModel model(String yaml) throws Exception {
        return new ComposeModel(new YAMLMapper().readTree(yaml), FILE, null);
    }

    private static ContainerSpec spec(String yaml, String service, String imageOrTag) throws Exception {
        return model(yaml).spec(service, imageOrTag, 0, 8080, new ArrayList<>());
    }

    private static String refused(String yaml, String service, String imageOrTag) {
        return assertThrows(RuntimeFailure.class, () -> spec(yaml, service, imageOrTag)).getMessage();
    }

    private static final String SHOP = """
            services:
              app:
                command: [java, -jar, /app.jar]
                environment: {SPRING_PROFILES_ACTIVE: prod, FROM_ENV_FILE: '3', UNSET: null}
                expose: ['9000']
                healthcheck:
                  test: [CMD, wget, -q, -O-, http://127.0.0.1:9000/up]
                  interval: 2s
                  timeout: 1s
                  retries: 3
                  start_period: 1m30s
                image: registry.example.com:5000/shop:v1
                labels: {team: payments}
                networks:
                  back: {aliases: [api]}
                  default: null
                restart: unless-stopped
                stop_grace_period: 45s
                user: '1000:1000'
                volumes: ['/srv/shop/data:/data:ro', 'uploads:/uploads:rw']
                cap_add: [NET_ADMIN]
              redis:
                image: redis:7
            networks:
              back: {}
            volumes:
              uploads: {}
            """;

    @Test
    void aServiceBecomesItsColoursContainerInTheProject() throws Exception {
        List<String> ignored = new ArrayList<>();
        ContainerSpec s = model(SHOP).spec("app", "v2", 0, 8080, ignored);
        assertEquals("registry.example.com:5000/shop:v2", s.image(), "the tag goes on the service's repository");
        assertEquals(List.of("java", "-jar", "/app.jar"), s.command());
        assertEquals(Map.of("SPRING_PROFILES_ACTIVE", "prod", "FROM_ENV_FILE", "3"), s.env(), "an unset variable is left out");
        assertEquals(List.of("/srv/shop/data:/data:ro", "shop_uploads:/uploads:rw"), s.binds(),
                "a named volume is the project's");
        assertEquals(List.of(new ContainerSpec.Network("shop_back", List.of("app", "api")),
                new ContainerSpec.Network("shop_default", List.of("app"))), s.networks(),
                "on the project's networks, reachable by the service's name");
        assertEquals("1000:1000", s.user());
        assertEquals("unless-stopped", s.restart());
        assertEquals(Duration.ofSeconds(45), s.stopTimeout());
        assertEquals(9000, s.containerPort(), "the service's one expose");
        assertEquals(List.of("CMD", "wget", "-q", "-O-", "http://127.0.0.1:9000/up"), s.healthcheck().test());
        assertEquals(Duration.ofSeconds(90), s.healthcheck().startPeriod());
        assertEquals(Duration.ofSeconds(2), s.healthcheck().interval());
        assertEquals("payments", s.labels().get("team"));
        assertEquals("shop", s.labels().get("com.docker.compose.project"));
        assertEquals("app", s.labels().get("com.docker.compose.service"));
        assertEquals("False", s.labels().get("com.docker.compose.oneoff"));
        assertEquals(List.of("cap_add"), ignored, "what the colours do without is named");
    }

    @Test
    void aFullImageIsRunAsGivenAndNoneRunsTheServicesOwn() throws Exception {
        assertEquals("shop:hotfix", spec(SHOP, "app", "shop:hotfix").image());
        assertEquals("registry.example.com:5000/shop:v1", spec(SHOP, "app", "").image());
        assertEquals("shop", ComposeModel.repository("shop@sha256:abc"));
        assertEquals("localhost:5000/shop", ComposeModel.repository("localhost:5000/shop"));
    }

    @Test
    void aConfiguredProjectAndPortWin() throws Exception {
        ContainerSpec s = new ComposeModel(new YAMLMapper().readTree(SHOP), FILE, "prod")
                .spec("app", "v2", 8443, 8080, new ArrayList<>());
        assertEquals("prod_back", s.networks().get(0).name());
        assertEquals(8443, s.containerPort());
    }

    @Test
    void aServiceWithoutExposeListensOnTheAppsContainerPortAndComposesDefaults() throws Exception {
        ContainerSpec s = spec("services: {app: {image: 'shop:v1', command: 'sh -c \"echo a  b\"'}}", "app", "v2");
        assertEquals(8080, s.containerPort());
        assertEquals(List.of("sh", "-c", "echo a  b"), s.command(), "a string command is split as a shell would");
        assertEquals("no", s.restart());
        assertEquals(Duration.ofSeconds(10), s.stopTimeout());
        assertNull(s.healthcheck());
        assertEquals(List.of(new ContainerSpec.Network("shop_default", List.of("app"))), s.networks());
    }

    @Test
    void aFixedHostPortIsRefused() {
        String m = refused("services: {app: {image: 'shop:v1', ports: [{published: 8081, target: 8080}]}}", "app", "v2");
        assertTrue(m.contains("service 'app' of " + FILE + " publishes host port 8081"), m);
        assertTrue(m.contains("cannot both hold it") && m.contains("delete the service's ports:"), m);
    }

    @Test
    void aPortWithoutAHostPortIsNoCollision() throws Exception {
        assertEquals("shop:v2", spec("services: {app: {image: 'shop:v1', ports: [{target: 8080}]}}", "app", "v2").image());
    }

    @Test
    void hostNetworkingWithPublishedPortsIsRefused() {
        String m = refused("services: {app: {image: 'shop:v1', network_mode: host, ports: [{target: 8080}]}}", "app", "v2");
        assertTrue(m.contains("has network_mode: host and ports: 8080"), m);
        assertTrue(m.contains("delete ports:"), m);
    }

    @Test
    void hostNetworkingAloneListensOnTheColoursPort() throws Exception {
        ContainerSpec s = spec("services: {app: {image: 'shop:v1', network_mode: host}}", "app", "v2");
        assertTrue(s.hostNetwork());
    }

    @Test
    void aMissingServiceIsRefusedNamingThoseThereAre() {
        String m = refused(SHOP, "web", "v2");
        assertEquals("compose file " + FILE + " has no service 'web' (its services: app, redis)", m);
    }

    @Test
    void aBuildOnlyServiceIsRefusedATag() throws Exception {
        String yaml = "services: {app: {build: {context: /srv/shop}}}";
        String m = refused(yaml, "app", "v2");
        assertTrue(m.contains("service 'app' of " + FILE + " has build: but no image:"), m);
        assertTrue(m.contains("give the service an image:"), m);
        assertEquals("shop:v2", spec(yaml, "app", "shop:v2").image(), "a full image needs no repository");
    }

    @Test
    void durationsAreComposes() {
        assertEquals(Duration.ofSeconds(90), ComposeModel.duration(new YAMLMapper().getNodeFactory().textNode("1m30s"), "x"));
        assertEquals(Duration.ofMillis(1500), ComposeModel.duration(new YAMLMapper().getNodeFactory().textNode("1.5s"), "x"));
        assertThrows(RuntimeFailure.class,
                () -> ComposeModel.duration(new YAMLMapper().getNodeFactory().textNode("soon"), "stop_grace_period"));
    }
}
