package dev.mbi.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mbi.proto.v1.ControlHolder;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * What an automation client may ask of the session's Chromium. The session owns the browser, its
 * egress and who acts on its page; a DevTools call that would take one of these away is refused
 * with a DevTools error naming the rule and what to do instead. Download settings are rewritten
 * rather than refused: Playwright always sends a path of its own machine, and the session keeps
 * every download in its own folder under the download's id, where its list and API find it.
 */
final class CdpPolicy {
    /** A refused call: the rule that refused it and what the client can do instead. */
    record Refusal(String rule, String instead) {
        String message() {
            return "refused by the session's policy (" + rule + "): " + instead;
        }
    }

    private static final Set<String> BROWSER_LIFETIME = Set.of("Browser.close", "Browser.crash", "Browser.crashGpuProcess");
    private static final Set<String> DOWNLOAD_BEHAVIOR = Set.of("Browser.setDownloadBehavior", "Page.setDownloadBehavior");
    private static final Set<String> ALLOWING_DOWNLOADS = Set.of("allow", "allowAndName");

    private final Path downloads;
    /** The session's egress policy as it is now (a session's own denied hosts join it at claim). */
    private final java.util.function.Supplier<dev.mbi.runner.egress.EgressPolicy> egress;
    /** The session's data policy as it is now (everything denied until the session is known). */
    private final java.util.function.Supplier<DataPolicy> data;

    /** @param downloads the session's own downloads folder, inside its throw-away work folder */
    CdpPolicy(Path downloads) {
        this(downloads, null, () -> DataPolicy.OPEN);
    }

    /**
     * @param egress the session's egress policy now, to refuse an agent's navigation up front (null: the proxy alone decides)
     * @param data the session's data policy now
     */
    CdpPolicy(Path downloads, java.util.function.Supplier<dev.mbi.runner.egress.EgressPolicy> egress,
              java.util.function.Supplier<DataPolicy> data) {
        this.downloads = downloads;
        this.egress = egress;
        this.data = data;
    }

    /**
     * Judges one client call; may rewrite its params (the download folder).
     *
     * @param params the call's params, an object (possibly empty) that may be changed in place
     */
    Optional<Refusal> judge(String method, ObjectNode params, ControlHolder holder) {
        if (BROWSER_LIFETIME.contains(method)) {
            return refuse("browser lifetime", "the session owns the browser; end it with DELETE /api/sessions/{id}");
        }
        if (method.startsWith("Tethering.")) {
            return refuse("no listening ports", "the session's browser opens no ports");
        }
        if (method.equals("Target.exposeDevToolsProtocol")) {
            return refuse("devtools exposure", "pages cannot be given the DevTools protocol");
        }
        if (method.equals("Target.setRemoteLocations")) {
            return refuse("no listening ports", "the session's browser discovers no remote targets");
        }
        if (method.equals("Target.createBrowserContext") && (params.has("proxyServer") || params.has("proxyBypassList"))) {
            return refuse("egress", "browser contexts use the session's egress policy; create it without proxyServer and proxyBypassList");
        }
        if (method.equals("Page.navigate") || method.equals("Target.createTarget")) {
            String url = params.path("url").asText("");
            if (!navigable(url, method.equals("Target.createTarget"))) {
                return refuse("navigation", "only http and https pages (or about:blank) can be opened");
            }
            Optional<String> denied = egressDenial(url);
            if (denied.isPresent()) {
                return refuse("egress", denied.get());
            }
        }
        if (DOWNLOAD_BEHAVIOR.contains(method)) {
            Optional<Refusal> refused = downloadBehavior(method, params);
            if (refused.isPresent()) {
                return refused;
            }
        }
        if (method.startsWith("Input.") && holder == ControlHolder.CONTROL_HOLDER_HUMAN) {
            return refuse("control", "a person holds control of this session; wait for Mbi.controlChanged or ask them to hand it back");
        }
        return Optional.empty();
    }

    /**
     * A client may turn downloads off; turning them on obeys the session's policy, and lands them
     * in the session's own folder (which goes with the session) under their ids, so the session's
     * downloads list and API serve them whatever name the client asked for. Chromium's "default"
     * could save into the runner's home: it becomes the session's own setting.
     */
    private Optional<Refusal> downloadBehavior(String method, ObjectNode params) {
        String behavior = params.path("behavior").asText();
        boolean allowed = data.get().downloads();
        if (ALLOWING_DOWNLOADS.contains(behavior) && !allowed) {
            return refuse("policy.downloads = deny", "this session's policy keeps downloads off");
        }
        if (!behavior.equals("deny")) {
            if (allowed) {
                try {
                    java.nio.file.Files.createDirectories(downloads);
                } catch (java.io.IOException e) {
                    return refuse("downloads", "the session's downloads folder cannot be made (" + e.getMessage() + ")");
                }
            }
            params.put("behavior", allowed ? "allowAndName" : "deny");
            params.put("downloadPath", downloads.toString());
        }
        if (method.startsWith("Browser.")) {
            params.put("eventsEnabled", true);
        }
        return Optional.empty();
    }

    /**
     * What the egress policy says of a page's host before any lookup: its deny and allow lists, and
     * for an address literal the address rules. Names are still checked on every connection by the
     * proxy, after their lookup; this only answers what can be known now, with the rule's name.
     */
    private Optional<String> egressDenial(String url) {
        if (egress == null || url.isEmpty() || url.equals("about:blank")) {
            return Optional.empty();
        }
        try {
            java.net.URI uri = new java.net.URI(url);
            dev.mbi.egress.HostName host = dev.mbi.egress.HostName.parse(uri.getHost());
            int port = uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            dev.mbi.runner.egress.EgressPolicy policy = egress.get();
            dev.mbi.runner.egress.Decision d = policy.checkHost(host, port);
            if (d.allowed() && host.literal().isPresent()) {
                d = policy.checkAddress(host.literal().get(), port);
            }
            return d.allowed() ? Optional.empty()
                    : Optional.of(host.name() + " is refused by the session's egress policy (" + d.label() + ")");
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return Optional.empty(); // the proxy judges what cannot be read here
        }
    }

    /** http and https with a host, or about:blank exactly (Target.createTarget's empty url is about:blank too). */
    static boolean navigable(String url, boolean emptyIsBlank) {
        if (url.equals("about:blank") || (emptyIsBlank && url.isEmpty())) {
            return true;
        }
        // Read by hand rather than with URI: Chromium takes addresses URI would refuse (spaces, say).
        int colon = url.indexOf(':');
        String scheme = colon < 0 ? "" : url.substring(0, colon).toLowerCase(java.util.Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || !url.startsWith("//", colon + 1)) {
            return false;
        }
        String authority = url.substring(colon + 3);
        int end = 0;
        while (end < authority.length() && "/?#\\".indexOf(authority.charAt(end)) < 0) {
            end++;
        }
        authority = authority.substring(0, end);
        String hostAndPort = authority.substring(authority.lastIndexOf('@') + 1);
        return !hostAndPort.isEmpty() && hostAndPort.charAt(0) != ':';
    }

    private static Optional<Refusal> refuse(String rule, String instead) {
        return Optional.of(new Refusal(rule, instead));
    }

    /** The params of a call as an object to judge and change: an empty one when the call has none. */
    static ObjectNode paramsOf(ObjectNode call) {
        JsonNode params = call.get("params");
        if (params instanceof ObjectNode object) {
            return object;
        }
        return call.putObject("params");
    }
}
