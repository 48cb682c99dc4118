"""End-to-end tests of the Bifrost gateway with the official OpenAI and Anthropic Python SDKs.

The SDKs are used exactly as a user would: only the base URL changes. server/e2e/python_test.go
starts the mock providers and the gateway on 127.0.0.1 and runs this file with the venv that
`make python-deps` creates (pinned, hashed: requirements.txt), with:

  BIFROST_BASE_URL    the gateway, http://127.0.0.1:PORT
  BIFROST_CHAT_MODEL  a model on an OpenAI-format mock (answers in text)
  BIFROST_TOOL_MODEL  a model on an Anthropic-format mock (answers a request with tools by
                      calling the first tool), reached through the OpenAI API
  BIFROST_LIMITED_MODEL a model of a configured provider that no key allows (404)
  BIFROST_429_MODEL   a model on a mock that answers every request with 429
  BIFROST_MOCK_COUNT  the input_tokens the Anthropic-format mock answers for a count_tokens
                      request with one message, no tools and a system prompt (mocks.CountTokens)
"""

import base64
import json
import os
import struct
import sys
import unittest

import anthropic
import openai

BASE = os.environ.get("BIFROST_BASE_URL", "")
CHAT_MODEL = os.environ.get("BIFROST_CHAT_MODEL", "openai/gpt-4o-mini")
TOOL_MODEL = os.environ.get("BIFROST_TOOL_MODEL", "anthropic/claude-3-5-haiku-20241022")
LIMITED_MODEL = os.environ.get("BIFROST_LIMITED_MODEL", "")
RATE_LIMITED_MODEL = os.environ.get("BIFROST_429_MODEL", "")
MOCK_COUNT = int(os.environ.get("BIFROST_MOCK_COUNT", "0"))

MESSAGES = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": "Say hello in one line."},
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the documentation.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    }
]


def oai(prefix="/v1"):
    # max_retries=0: a gateway error must surface as it is, not be hidden by the SDK's retries.
    return openai.OpenAI(base_url=BASE + prefix, api_key="sk-client-key-the-gateway-ignores", max_retries=0, timeout=30)


def anth():
    return anthropic.Anthropic(base_url=BASE + "/anthropic", api_key="sk-client-key-the-gateway-ignores", max_retries=0, timeout=30)


class OpenAISDK(unittest.TestCase):
    def check_usage(self, usage):
        self.assertIsNotNone(usage, "usage is present")
        self.assertGreater(usage.prompt_tokens, 0)
        self.assertGreater(usage.completion_tokens, 0)
        self.assertEqual(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens)

    def check_chat(self, res):
        self.assertIsInstance(res, openai.types.chat.ChatCompletion)
        self.assertEqual(res.object, "chat.completion")
        self.assertTrue(res.id)
        self.assertIn("gpt-4o-mini", res.model)
        self.assertEqual(len(res.choices), 1)
        choice = res.choices[0]
        self.assertEqual(choice.index, 0)
        self.assertEqual(choice.message.role, "assistant")
        self.assertIsInstance(choice.message.content, str)
        self.assertTrue(choice.message.content)
        self.assertEqual(choice.finish_reason, "stop")
        self.check_usage(res.usage)
        return choice.message.content

    def test_chat(self):
        self.check_chat(oai().chat.completions.create(model=CHAT_MODEL, messages=MESSAGES, max_tokens=64))

    def test_chat_openai_prefix(self):
        self.check_chat(oai("/openai/v1").chat.completions.create(model=CHAT_MODEL, messages=MESSAGES))

    def test_chat_stream_with_usage(self):
        c = oai()
        plain = self.check_chat(c.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES))
        stream = c.chat.completions.create(
            model=CHAT_MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        content, role, finish, usage, chunks, after_usage, ids = "", None, None, None, 0, 0, set()
        for chunk in stream:
            chunks += 1
            self.assertEqual(chunk.object, "chat.completion.chunk")
            ids.add(chunk.id)
            if usage is not None:
                after_usage += 1
            if chunk.usage is not None:
                self.assertIsNone(usage, "a single usage chunk")
                self.assertEqual(chunk.choices, [], "the usage chunk has no choices")
                usage = chunk.usage
                continue
            self.assertEqual(len(chunk.choices), 1)
            delta = chunk.choices[0].delta
            if role is None and delta.role:
                role = delta.role
            content += delta.content or ""
            if chunk.choices[0].finish_reason:
                self.assertIsNone(finish, "a single finish_reason")
                finish = chunk.choices[0].finish_reason
        self.assertGreaterEqual(chunks, 3)
        self.assertEqual(len(ids), 1, f"one id for the whole stream: {ids}")
        self.assertEqual(role, "assistant")
        self.assertEqual(finish, "stop")
        self.assertEqual(content, plain, "the stream carries the plain answer's content (mock provider)")
        self.check_usage(usage)
        self.assertEqual(after_usage, 0, "the usage chunk is the last one")

    def test_tools(self):
        c = oai()
        res = c.chat.completions.create(
            model=TOOL_MODEL, messages=[{"role": "user", "content": "Find the docs about retries."}], tools=TOOLS
        )
        choice = res.choices[0]
        self.assertEqual(choice.finish_reason, "tool_calls", res.model_dump_json())
        self.assertEqual(len(choice.message.tool_calls), 1)
        call = choice.message.tool_calls[0]
        self.assertEqual(call.type, "function")
        self.assertTrue(call.id)
        self.assertEqual(call.function.name, "search")
        self.assertIsInstance(json.loads(call.function.arguments), dict)

        # The same, streamed: the tool call comes in pieces that the client joins.
        name, args, ids, finish = "", "", set(), None
        for chunk in c.chat.completions.create(
            model=TOOL_MODEL, messages=[{"role": "user", "content": "Find the docs."}], tools=TOOLS, stream=True
        ):
            for ch in chunk.choices:
                for tc in ch.delta.tool_calls or []:
                    if tc.id:
                        ids.add(tc.id)
                    if tc.function and tc.function.name:
                        name += tc.function.name
                    if tc.function and tc.function.arguments:
                        args += tc.function.arguments
                finish = ch.finish_reason or finish
        self.assertEqual(finish, "tool_calls")
        self.assertEqual(name, "search")
        self.assertEqual(len(ids), 1)
        self.assertIsInstance(json.loads(args), dict)

        # The tool's result goes back as a tool message; the answer is text. The Go side checks
        # that the OpenAI-format provider received the call and the result in OpenAI's shape.
        msgs = [
            {"role": "user", "content": "Find the docs about retries."},
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "Retries use backoff with jitter."},
        ]
        for model in (TOOL_MODEL, CHAT_MODEL):
            res = c.chat.completions.create(model=model, messages=msgs, tools=TOOLS)
            self.assertEqual(res.choices[0].finish_reason, "stop", model)
            self.assertTrue(res.choices[0].message.content, model)

    @staticmethod
    def floats(b64):
        raw = base64.b64decode(b64)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))

    def test_embeddings_base64(self):
        c = oai()
        kw = dict(model="openai/text-embedding-3-small", input=["Bifrost", "gateway"], dimensions=8)
        b64 = c.embeddings.create(encoding_format="base64", **kw)
        self.assertEqual(b64.object, "list")
        self.assertIn("text-embedding-3-small", b64.model)
        self.assertEqual(len(b64.data), 2)
        decoded = []
        for i, d in enumerate(b64.data):
            self.assertEqual(d.index, i)
            # Asked for explicitly, base64 comes back as the string the gateway sent.
            self.assertIsInstance(d.embedding, str, f"embedding {i} is a base64 string")
            v = self.floats(d.embedding)
            self.assertEqual(len(v), 8, f"embedding {i}: 8 float32 values")
            self.assertTrue(any(x != 0 for x in v))
            decoded.append(v)
        self.assertGreater(b64.usage.prompt_tokens, 0)

        # Left out, the SDK asks for base64 itself and decodes it into floats.
        auto = c.embeddings.create(**kw)
        floats = c.embeddings.create(encoding_format="float", **kw)
        for i in range(2):
            self.assertEqual(len(auto.data[i].embedding), 8)
            for a, f, d in zip(auto.data[i].embedding, floats.data[i].embedding, decoded[i]):
                self.assertAlmostEqual(a, d, places=6)
                self.assertAlmostEqual(f, d, places=6)

    def test_models(self):
        ids = [m.id for m in oai().models.list()]
        self.assertTrue(ids, "at least one model")
        self.assertTrue(any(i.startswith("openai/") for i in ids), ids)

    def test_errors(self):
        c = oai()
        with self.assertRaises(openai.BadRequestError) as cm:
            c.chat.completions.create(model="nosuchprovider/some-model", messages=MESSAGES)
        self.assertEqual(cm.exception.status_code, 400)
        self.assertIn("nosuchprovider", cm.exception.message)
        self.assertIsInstance(cm.exception.body, dict, "OpenAI error body")

        if LIMITED_MODEL:
            with self.assertRaises(openai.NotFoundError) as cm:
                c.chat.completions.create(model=LIMITED_MODEL, messages=MESSAGES)
            self.assertEqual(cm.exception.status_code, 404)

        if RATE_LIMITED_MODEL:
            with self.assertRaises(openai.RateLimitError) as cm:
                c.chat.completions.create(model=RATE_LIMITED_MODEL, messages=MESSAGES)
            self.assertEqual(cm.exception.status_code, 429)
            # A stream that fails before its first byte fails the same way.
            with self.assertRaises(openai.RateLimitError) as cm:
                c.chat.completions.create(model=RATE_LIMITED_MODEL, messages=MESSAGES, stream=True)
            self.assertEqual(cm.exception.status_code, 429)


class ResponsesSDK(unittest.TestCase):
    """POST /v1/responses with client.responses: CHAT_MODEL forwarded natively (OpenAI has the
    Responses API: the mock's own serves it and stores the responses), TOOL_MODEL translated."""

    WEATHER = [
        {
            "type": "function",
            "name": "search",
            "description": "Search the documentation.",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
        }
    ]

    def check(self, resp):
        self.assertEqual(resp.object, "response")
        self.assertTrue(resp.id.startswith("resp_"), resp.id)
        self.assertEqual(resp.status, "completed")
        self.assertGreater(resp.usage.input_tokens, 0)
        self.assertEqual(resp.usage.total_tokens, resp.usage.input_tokens + resp.usage.output_tokens)

    def test_create_retrieve_delete(self):
        for model in (CHAT_MODEL, TOOL_MODEL):
            with self.subTest(model=model):
                client = oai("/openai/v1")
                resp = client.responses.create(model=model, instructions="Be brief.", input="Say hello.")
                self.check(resp)
                self.assertTrue(resp.output_text)
                got = client.responses.retrieve(resp.id)
                self.assertEqual(got.output_text, resp.output_text)
                items = list(client.responses.input_items.list(resp.id))
                self.assertEqual(items[0].role, "user")
                client.responses.delete(resp.id)
                with self.assertRaises(openai.NotFoundError):
                    client.responses.retrieve(resp.id)

    def test_stream(self):
        for model in (CHAT_MODEL, TOOL_MODEL):
            with self.subTest(model=model):
                text, seq, final = "", 0, None
                client = oai()
                self.addCleanup(client.close)
                with client.responses.stream(model=model, input="Say hello.") as stream:
                    for ev in stream:
                        self.assertEqual(ev.sequence_number, seq)
                        seq += 1
                        if ev.type == "response.output_text.delta":
                            text += ev.delta
                    final = stream.get_final_response()
                self.check(final)
                self.assertEqual(final.output_text, text)

    def test_tool_round_trip(self):
        for model in (CHAT_MODEL, TOOL_MODEL):
            with self.subTest(model=model):
                client = oai()
                first = client.responses.create(model=model, input="How do retries work?", tools=self.WEATHER)
                calls = [it for it in first.output if it.type == "function_call"]
                self.assertEqual(len(calls), 1, first.output)
                self.assertEqual(calls[0].name, "search")
                json.loads(calls[0].arguments)
                second = client.responses.create(
                    model=model,
                    previous_response_id=first.id,
                    tools=self.WEATHER,
                    input=[{"type": "function_call_output", "call_id": calls[0].call_id, "output": "Retries use backoff with jitter."}],
                )
                self.check(second)
                self.assertEqual(second.previous_response_id, first.id)

    def test_store_false(self):
        for model in (CHAT_MODEL, TOOL_MODEL):
            with self.subTest(model=model):
                client = oai()
                resp = client.responses.create(model=model, input="Say hello.", store=False)
                self.check(resp)
                with self.assertRaises(openai.NotFoundError):
                    client.responses.retrieve(resp.id)

    def test_builtin_tool(self):
        # Native (CHAT_MODEL's provider has the Responses API): the provider gets the tool.
        self.check(oai().responses.create(model=CHAT_MODEL, input="Search.", tools=[{"type": "web_search"}]))
        # Translated: refused, naming the member.
        with self.assertRaises(openai.BadRequestError) as cm:
            oai().responses.create(model=TOOL_MODEL, input="Search.", tools=[{"type": "web_search"}])
        self.assertEqual(cm.exception.param, "tools[0].type")


class AnthropicSDK(unittest.TestCase):
    def test_message(self):
        for model in (CHAT_MODEL, TOOL_MODEL.split("/", 1)[1]):
            with self.subTest(model=model):
                msg = anth().messages.create(
                    model=model, max_tokens=256, system="Be brief.", messages=[{"role": "user", "content": "Say hello."}]
                )
                self.assertIsInstance(msg, anthropic.types.Message)
                self.assertEqual(msg.type, "message")
                self.assertEqual(msg.role, "assistant")
                self.assertTrue(msg.id)
                self.assertEqual(msg.stop_reason, "end_turn")
                self.assertEqual(msg.content[0].type, "text")
                self.assertTrue(msg.content[0].text)
                self.assertGreater(msg.usage.input_tokens, 0)
                self.assertGreater(msg.usage.output_tokens, 0)

    def test_stream(self):
        for model in (CHAT_MODEL, TOOL_MODEL.split("/", 1)[1]):
            with self.subTest(model=model):
                types = []
                with anth().messages.stream(
                    model=model, max_tokens=256, messages=[{"role": "user", "content": "Count to three."}]
                ) as stream:
                    for event in stream:
                        types.append(event.type)
                    msg = stream.get_final_message()
                self.assertEqual(types[0], "message_start", types)
                self.assertEqual(types[-1], "message_stop", types)
                for t in ("content_block_start", "content_block_delta", "content_block_stop", "message_delta"):
                    self.assertIn(t, types)
                self.assertEqual(msg.stop_reason, "end_turn")
                self.assertEqual(len(msg.content), 1)
                self.assertTrue(msg.content[0].text)
                self.assertGreater(msg.usage.output_tokens, 0)

    def test_tool_use(self):
        tools = [{"name": "search", "description": "Search the docs.", "input_schema": TOOLS[0]["function"]["parameters"]}]
        msg = anth().messages.create(
            model=TOOL_MODEL.split("/", 1)[1], max_tokens=256, tools=tools, messages=[{"role": "user", "content": "Find the docs."}]
        )
        self.assertEqual(msg.stop_reason, "tool_use")
        call = next(b for b in msg.content if b.type == "tool_use")
        self.assertEqual(call.name, "search")
        self.assertIsInstance(call.input, dict)

    def test_count_tokens(self):
        # Counted by the Anthropic mock's own count_tokens endpoint: its number, not an estimate.
        res = anth().messages.count_tokens(
            model=TOOL_MODEL.split("/", 1)[1], system="Be brief.", messages=[{"role": "user", "content": "Count me."}]
        )
        self.assertIsInstance(res, anthropic.types.MessageTokensCount)
        self.assertEqual(res.input_tokens, MOCK_COUNT)
        # An OpenAI-format provider has no token counting: Anthropic's 400, never a guess.
        with self.assertRaises(anthropic.BadRequestError) as cm:
            anth().messages.count_tokens(model=CHAT_MODEL, messages=[{"role": "user", "content": "Count me."}])
        self.assertEqual(cm.exception.body["error"]["type"], "invalid_request_error")
        self.assertIn("does not support token counting", cm.exception.body["error"]["message"])

    def test_beta_server_tool(self):
        # A beta request with a server tool: the header and the tool reach the Anthropic mock
        # as sent (python_test.go checks what arrived); the mock calls the first tool.
        msg = anth().beta.messages.create(
            model=TOOL_MODEL.split("/", 1)[1],
            max_tokens=256,
            betas=["files-api-2025-04-14", "interleaved-thinking-2025-05-14"],
            tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}],
            messages=[{"role": "user", "content": "Search the web for Bifrost."}],
        )
        self.assertEqual(msg.stop_reason, "tool_use")
        # Elsewhere a server tool stays refused, in Anthropic's error shape.
        with self.assertRaises(anthropic.BadRequestError) as cm:
            anth().beta.messages.create(
                model=CHAT_MODEL,
                max_tokens=64,
                tools=[{"type": "web_search_20250305", "name": "web_search"}],
                messages=[{"role": "user", "content": "hi"}],
            )
        self.assertIn("server tool", cm.exception.body["error"]["message"])

    def test_errors(self):
        with self.assertRaises(anthropic.BadRequestError) as cm:
            anth().messages.create(model="nosuchprovider/x", max_tokens=16, messages=[{"role": "user", "content": "hi"}])
        self.assertEqual(cm.exception.status_code, 400)
        self.assertEqual(cm.exception.body["type"], "error")
        self.assertEqual(cm.exception.body["error"]["type"], "invalid_request_error")
        self.assertIn("nosuchprovider", cm.exception.body["error"]["message"])
        if RATE_LIMITED_MODEL:
            with self.assertRaises(anthropic.RateLimitError) as cm:
                anth().messages.create(model=RATE_LIMITED_MODEL, max_tokens=16, messages=[{"role": "user", "content": "hi"}])
            self.assertEqual(cm.exception.status_code, 429)


if __name__ == "__main__":
    if not BASE:
        sys.exit("BIFROST_BASE_URL is not set: run these tests through `go test ./server/e2e/ -run TestPythonSDKs`")
    print(f"openai {openai.__version__}, anthropic {anthropic.__version__}, python {sys.version.split()[0]}", flush=True)
    unittest.main(verbosity=2)
