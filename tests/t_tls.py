#!/usr/bin/env python3
"""TLS trust per upstream (base/tls): a Prometheus behind a private CA is
reached with `prometheus.ca_file` and with SSL_CERT_FILE, and refused with
a certificate error without either; a server that wants a client
certificate gets `cert_file`/`key_file`; `insecure_skip_verify: true` is a
config error, not a switch. One HTTPS server per case on loopback, its CA
made here with openssl (tests/servers/fake_apiserver.gen_certs)."""
import json
import os
import shutil
import ssl
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, os.path.join(HERE, "servers"))
import slo_synth  # noqa: E402
from fake_apiserver import gen_certs  # noqa: E402
from testkit import QuietHandler, check, env_for, finish, run_lookout, serve_in_thread, skip  # noqa: E402

ANSWER = b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.0005"]}]}}'
RANGE = b'{"status":"success","data":{"resultType":"matrix","result":[]}}'


class Prom(QuietHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = RANGE if self.path.endswith("/query_range") else ANSWER
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def https(certs, want_client_cert):
    srv, port = serve_in_thread(Prom)
    srv.handle_error = lambda *a: None  # a refused handshake is the point, not noise
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(certs, "server.crt"), os.path.join(certs, "server.key"))
    if want_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(os.path.join(certs, "ca.crt"))
    # the handshake in the handler thread, so one refused client never holds accept()
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    return srv, "https://127.0.0.1:%d" % port


def status(tmp, name, prom_yaml, spec, **env):
    cfg = os.path.join(tmp, name + ".yaml")
    with open(cfg, "w") as f:
        f.write("prometheus:\n" + prom_yaml)
    e = env_for(tmp, **env)
    for k in ("SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE"):
        if k not in env:
            e.pop(k, None)
    r = run_lookout(["slo", "status", "--config", cfg, "--slo-spec", spec, "--json",
                     "--timeout", "20s"], e, timeout=90)
    try:
        slo = json.loads(r.stdout)["slos"][0]
    except (ValueError, KeyError, IndexError):
        slo = {}
    return r, slo


def main():
    if not shutil.which("openssl"):
        skip("tls", "no openssl to make a test CA")
        return finish()
    tmp = tempfile.mkdtemp(prefix="lookout-tls-")
    try:
        certs = os.path.join(tmp, "certs")
        gen_certs(certs)
        ca = os.path.join(certs, "ca.crt")
        spec = os.path.join(tmp, "sloth.yml")
        with open(spec, "w") as f:
            f.write(slo_synth.SLOTH_SPEC)
        srv, url = https(certs, False)

        r, slo = status(tmp, "ca", "  url: %s\n  ca_file: %s\n" % (url, ca), spec)
        check("private CA reached with prometheus.ca_file", r.returncode == 0 and
              not slo.get("error") and slo.get("windows"), (r.returncode, slo.get("error"), r.stderr[-300:]))
        r, slo = status(tmp, "env", "  url: %s\n" % url, spec, SSL_CERT_FILE=ca)
        check("private CA reached with SSL_CERT_FILE", r.returncode == 0 and not slo.get("error"),
              (r.returncode, slo.get("error")))
        r, slo = status(tmp, "none", "  url: %s\n" % url, spec)
        err = slo.get("error", "")
        check("without the CA: refused, the error says it is the certificate",
              r.returncode == 3 and ("certificate" in err or "SSL" in err), (r.returncode, err))
        home = os.path.join(tmp, "home")
        os.makedirs(os.path.join(home, ".config", "lookout"))
        shutil.copy(ca, os.path.join(home, ".config", "lookout", "corp-ca.pem"))
        r, slo = status(tmp, "tilde", "  url: %s\n  ca_file: ~/.config/lookout/corp-ca.pem\n" % url,
                        spec, HOME=home)
        check("ca_file with ~/", r.returncode == 0 and not slo.get("error"), (r.returncode, slo.get("error")))
        r, slo = status(tmp, "missing", "  url: %s\n  ca_file: %s/nope.pem\n" % (url, tmp), spec)
        check("a ca_file that does not exist is a config error with the line",
              r.returncode == 2 and "missing.yaml:3" in r.stderr and "nope.pem" in r.stderr, r.stderr)
        r, slo = status(tmp, "insecure", "  url: %s\n  insecure_skip_verify: true\n" % url, spec)
        check("insecure_skip_verify: true is refused, says to give ca_file",
              r.returncode == 2 and "ca_file" in r.stderr, r.stderr)
        r, slo = status(tmp, "secure", "  url: %s\n  ca_file: %s\n  insecure_skip_verify: false\n"
                        % (url, ca), spec)
        check("insecure_skip_verify: false is accepted", r.returncode == 0, r.stderr[-300:])
        srv.shutdown()

        mtls, murl = https(certs, True)
        cc = (os.path.join(certs, "client.crt"), os.path.join(certs, "client.key"))
        os.chmod(cc[1], 0o600)
        r, slo = status(tmp, "mtls", "  url: %s\n  ca_file: %s\n  cert_file: %s\n  key_file: %s\n"
                        % (murl, ca, cc[0], cc[1]), spec)
        check("client certificate from cert_file/key_file", r.returncode == 0 and
              not slo.get("error"), (r.returncode, slo.get("error")))
        r, slo = status(tmp, "nocert", "  url: %s\n  ca_file: %s\n" % (murl, ca), spec)
        check("without the client certificate the server refuses", r.returncode == 3 and
              slo.get("error"), (r.returncode, slo.get("error")))
        r, slo = status(tmp, "halfcert", "  url: %s\n  cert_file: %s\n" % (murl, cc[0]), spec)
        check("cert_file without key_file is a config error", r.returncode == 2 and
              "key_file" in r.stderr, r.stderr)
        mtls.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
