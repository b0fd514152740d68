package io.cutover.control;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import io.cutover.proxy.Transport;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering, kept: what README's package map says, checked on the compiled main classes of
 * both modules (the proxy's test classes, which reach this module as a jar, are left out too).
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(new MainClassesOnly()).importPackages("io.cutover");
    }

    /** Neither test directories nor test jars. */
    static final class MainClassesOnly implements ImportOption {
        private static final ImportOption TESTS = new ImportOption.DoNotIncludeTests();

        @Override
        public boolean includes(Location location) {
            return TESTS.includes(location) && !location.contains("-tests.jar") && !location.contains("/test-classes/");
        }
    }

    private static final ArchRule theProxyKnowsNothingOfTheControlPlane = noClasses()
            .that().resideInAPackage("io.cutover.proxy..")
            .should().dependOnClassesThat().resideInAPackage("io.cutover.control..")
            .because("the proxy is a library the control plane drives; it must run (and be benchmarked) alone");

    private static final ArchRule theHttpCodecIsALeaf = noClasses()
            .that().resideInAPackage("io.cutover.proxy.http..")
            .should().dependOnClassesThat().resideInAnyPackage("io.cutover.proxy", "io.cutover.control..")
            .because("the codec is fuzzed and mutation-tested on its own: it parses bytes and knows no routing");

    private static final ArchRule controlPackagesFormNoCycle = slices()
            .matching("io.cutover.control.(**)")
            .should().beFreeOfCycles();

    private static final ArchRule onlyTheEntryPointsUseTheRoot = noClasses()
            .that().resideInAPackage("io.cutover.control..")
            .and().resideOutsideOfPackages("io.cutover.control", "io.cutover.control.cli..")
            .should().dependOnClassesThat().resideInAPackage("io.cutover.control")
            .because("the root holds only Cutover and its Wiring, which build everything else: "
                    + "a domain package that reached back to them would close a cycle");

    private static final ArchRule onlyWiringMakesThreadPoolsAndLoops = noClasses()
            .that().resideInAPackage("io.cutover.control..")
            .and().doNotHaveFullyQualifiedName("io.cutover.control.Wiring")
            .and().resideOutsideOfPackages("io.cutover.control.cli..", "io.cutover.control.demo..")
            .should().dependOnClassesThat().belongToAnyOf(Executors.class, ThreadPoolExecutor.class,
                    ScheduledThreadPoolExecutor.class, ForkJoinPool.class)
            .orShould().callMethod(Transport.class, "newGroup", int.class)
            .because("executors are built in one place (Wiring) and handed to what runs on them, so a test can "
                    + "hand in its own and every thread is accounted for at a stop");

    @Test
    void theProxyKnowsNothingOfTheControlPlane() {
        theProxyKnowsNothingOfTheControlPlane.check(classes);
    }

    @Test
    void theHttpCodecIsALeaf() {
        theHttpCodecIsALeaf.check(classes);
    }

    @Test
    void controlPackagesFormNoCycle() {
        controlPackagesFormNoCycle.check(classes);
    }

    @Test
    void onlyTheEntryPointsUseTheRoot() {
        onlyTheEntryPointsUseTheRoot.check(classes);
    }

    @Test
    void onlyWiringMakesThreadPoolsAndLoops() {
        onlyWiringMakesThreadPoolsAndLoops.check(classes);
    }
}
