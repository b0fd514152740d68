package io.cutover.control.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.cutover.control.admin.AdminApi.Reply;
import io.cutover.control.admin.ApiModel.ErrorResponse;
import io.cutover.control.app.Apps;
import io.cutover.control.app.Reload;
import io.cutover.control.canary.Steering;
import io.cutover.control.deploy.DeployQueue;
import io.cutover.control.health.HealthCheck.UnhealthyException;
import io.cutover.control.switching.SwitchService.SwitchInProgressException;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where the admin API's errors become statuses. */
final class ApiErrors {
    private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

    private ApiErrors() {
    }

    /** Every error the API can answer, mapped to its status; anything else is a 500 (and logged). */
    static Reply reply(Throwable failure) {
        Throwable e = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        int status;
        if (e instanceof ApiException api) {
            status = api.status();
        } else if (e instanceof SwitchInProgressException || e instanceof DeployQueue.BusyException
                || e instanceof Steering.NoCanaryException) {
            status = 409;
        } else if (e instanceof Apps.UnknownAppException) {
            status = 404;
        } else if (e instanceof Reload.RefusedException r) {
            status = r.conflict() ? 409 : 400;
        } else if (e instanceof ProcessControl.UpgradeFailure u) {
            status = u.conflict() ? 409 : 503;
        } else if (e instanceof UnhealthyException) {
            status = 503;
        } else if (e instanceof JsonProcessingException) {
            status = 400;
        } else {
            log.error("admin request failed", e);
            return new Reply(500, new ErrorResponse(500, "internal error; see the cutover log"));
        }
        return new Reply(status, new ErrorResponse(status, e.getMessage()));
    }
}
