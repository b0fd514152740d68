package io.cutover.control.deploy.runtime;

/** Reads what a service of a compose file runs (see the {@code compose} package). */
@FunctionalInterface
public interface ServiceSpecs {
    /**
     * The container a release of {@code compose}'s service runs, its image being
     * {@code imageOrTag} (a full image, or a tag of the service's image; empty: the service's own).
     * Runs the compose CLI: call it on a deploy's thread.
     *
     * @param containerPort the port the app listens on when the service does not say (its one {@code expose})
     * @throws AppRuntime.RuntimeFailure why the service cannot be run, for the user
     */
    ContainerSpec spec(Release.Compose compose, String imageOrTag, int containerPort);

    /** Where nothing reads compose files. */
    ServiceSpecs NONE = (compose, imageOrTag, port) -> {
        throw new AppRuntime.RuntimeFailure("this cutover cannot read compose files");
    };
}
