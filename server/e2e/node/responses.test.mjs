// End-to-end tests of POST /v1/responses with the official OpenAI Node SDK
// (client.responses.create, client.responses.stream, retrieve, inputItems.list, delete),
// against the OpenAI-format mock that server/e2e/node_test.go starts, under two providers:
// openai, whose spec has the Responses API, so the gateway forwards it natively (the mock's
// own /v1/responses stores the responses, and retrieve, inputItems and delete go to it),
// and groq, an OpenAI-format provider without one, for which the gateway translates the
// Responses API to chat completions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.BIFROST_BASE_URL;
if (!baseURL) {
  throw new Error('BIFROST_BASE_URL is not set: run these tests through `go test ./server/e2e/`');
}

const client = new OpenAI({ baseURL: baseURL.replace(/\/v1\/?$/, '/openai/v1'), apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
const targets = [
  { name: 'native', model: 'openai/gpt-4o-mini' },
  { name: 'translated', model: 'groq/llama-3.1-8b-instant' },
];

// outputText joins the output_text parts of the message items, as the SDK's output_text does.
function outputText(res) {
  return res.output
    .filter((it) => it.type === 'message')
    .flatMap((it) => it.content)
    .filter((c) => c.type === 'output_text')
    .map((c) => c.text)
    .join('');
}

function checkResponse(res) {
  assert.equal(res.object, 'response');
  assert.match(res.id, /^resp_/);
  assert.equal(res.status, 'completed');
  assert.ok(outputText(res).length > 0, 'the output has text');
  assert.ok(res.usage.input_tokens > 0 && res.usage.output_tokens > 0, 'usage is set');
  assert.equal(res.usage.total_tokens, res.usage.input_tokens + res.usage.output_tokens);
}

for (const { name, model } of targets) {
  test(`${name}: responses.create, retrieve, inputItems.list, delete`, async () => {
    const res = await client.responses.create({ model, instructions: 'Be brief.', input: 'Say hello.' });
    checkResponse(res);
    const got = await client.responses.retrieve(res.id);
    assert.equal(got.id, res.id);
    assert.equal(got.output_text, res.output_text);
    const items = [];
    for await (const it of client.responses.inputItems.list(res.id)) items.push(it);
    assert.equal(items.length, 1);
    assert.equal(items[0].role, 'user');
    await client.responses.delete(res.id);
    await assert.rejects(client.responses.retrieve(res.id), (err) => err.status === 404);
  });

  test(`${name}: responses.stream: events in order, final response`, async () => {
    const stream = client.responses.stream({ model, input: 'Say hello.' });
    const types = [];
    let text = '';
    for await (const ev of stream) {
      assert.equal(ev.sequence_number, types.length, `sequence_number of ${ev.type}`);
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
    }
    const final = await stream.finalResponse();
    checkResponse(final);
    assert.equal(outputText(final), text);
    assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
  });

  test(`${name}: previous_response_id continues the conversation; store: false keeps nothing`, async () => {
    const first = await client.responses.create({ model, input: 'Remember the word: fjord.' });
    const second = await client.responses.create({ model, input: 'What was the word?', previous_response_id: first.id });
    checkResponse(second);
    assert.equal(second.previous_response_id, first.id);
    const unstored = await client.responses.create({ model, input: 'Say hello.', store: false });
    checkResponse(unstored);
    assert.equal(unstored.store, false);
    await assert.rejects(client.responses.retrieve(unstored.id), (err) => err.status === 404);
  });

  if (name === 'translated') {
    test(`${name}: a built-in tool on a translated provider is a 400 naming the member`, async () => {
      await assert.rejects(
        client.responses.create({ model, input: 'Search.', tools: [{ type: 'web_search' }] }),
        (err) => err.status === 400 && err.param === 'tools[0].type',
      );
    });
    continue;
  }

  test(`${name}: a built-in tool goes to the provider`, async () => {
    checkResponse(await client.responses.create({ model, input: 'Search.', tools: [{ type: 'web_search' }] }));
  });

  test(`${name}: function-tool round trip, streamed then plain, with previous_response_id`, async () => {
    const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
    const stream = client.responses.stream({ model, input: 'Weather in Paris?', tools });
    let args = '';
    for await (const ev of stream) {
      if (ev.type === 'response.function_call_arguments.delta') args += ev.delta;
    }
    const first = await stream.finalResponse();
    const call = first.output.find((it) => it.type === 'function_call');
    assert.ok(call, 'a function call');
    assert.equal(call.name, 'get_weather');
    assert.equal(call.arguments, args);
    const second = await client.responses.create({
      model, tools, previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' }],
    });
    checkResponse(second);
    assert.equal(second.previous_response_id, first.id);
  });
}
