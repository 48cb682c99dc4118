// End-to-end tests of the Bifrost gateway with the official OpenAI Node SDK, used exactly as a
// user would: only the base URL changes. server/e2e/node_test.go starts a mock provider and the
// gateway and runs `node --test` here with BIFROST_BASE_URL set (http://127.0.0.1:PORT/v1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.BIFROST_BASE_URL;
if (!baseURL) {
  throw new Error('BIFROST_BASE_URL is not set: run these tests through `go test ./server/e2e/`');
}

// openaiBaseURL is the drop-in prefix: http://127.0.0.1:PORT/openai/v1.
const openaiBaseURL = baseURL.replace(/\/v1\/?$/, '/openai/v1');

function client(url = baseURL) {
  // maxRetries 0: a gateway error must surface as is, not be hidden by the SDK's retries.
  return new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
}

const messages = [
  { role: 'system', content: 'You are a concise assistant.' },
  { role: 'user', content: 'Say hello in one line.' },
];

function checkUsage(usage) {
  assert.ok(usage, 'usage is present');
  assert.ok(Number.isInteger(usage.prompt_tokens) && usage.prompt_tokens > 0, `prompt_tokens ${usage.prompt_tokens}`);
  assert.ok(
    Number.isInteger(usage.completion_tokens) && usage.completion_tokens > 0,
    `completion_tokens ${usage.completion_tokens}`,
  );
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens, 'total_tokens = prompt + completion');
}

// checkChat checks a plain chat completion and returns its content.
function checkChat(res) {
  assert.equal(res.object, 'chat.completion');
  assert.equal(typeof res.id, 'string');
  assert.ok(res.id.length > 0, 'id is set');
  assert.match(res.model, /gpt-4o-mini/, `model echoed: ${res.model}`);
  assert.equal(res.choices.length, 1);
  const choice = res.choices[0];
  assert.equal(choice.index, 0);
  assert.equal(choice.message.role, 'assistant');
  assert.equal(typeof choice.message.content, 'string');
  assert.ok(choice.message.content.length > 0, 'content is not empty');
  assert.equal(choice.finish_reason, 'stop');
  checkUsage(res.usage);
  return choice.message.content;
}

test('chat.completions.create', async () => {
  const res = await client().chat.completions.create({ model: 'openai/gpt-4o-mini', messages, max_tokens: 64 });
  checkChat(res);
});

test('chat.completions.create with stream: true and include_usage', async () => {
  const c = client();
  const plain = checkChat(await c.chat.completions.create({ model: 'openai/gpt-4o-mini', messages }));

  const stream = await c.chat.completions.create({
    model: 'openai/gpt-4o-mini',
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  let content = '';
  let firstRole;
  let finish;
  let usage;
  let chunks = 0;
  let chunksAfterUsage = 0;
  const ids = new Set();
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.match(chunk.model, /gpt-4o-mini/, `chunk model: ${chunk.model}`);
    ids.add(chunk.id);
    if (usage) chunksAfterUsage++;
    if (chunk.usage) {
      assert.equal(usage, undefined, 'a single usage chunk');
      assert.deepEqual(chunk.choices, [], 'the usage chunk has no choices');
      usage = chunk.usage;
      continue;
    }
    assert.equal(chunk.choices.length, 1, `one choice per chunk: ${JSON.stringify(chunk)}`);
    const choice = chunk.choices[0];
    if (firstRole === undefined) firstRole = choice.delta.role ?? null;
    if (typeof choice.delta.content === 'string') content += choice.delta.content;
    if (choice.finish_reason) {
      assert.equal(finish, undefined, 'a single finish_reason');
      finish = choice.finish_reason;
    }
  }
  assert.ok(chunks >= 3, `${chunks} chunks`);
  assert.equal(ids.size, 1, `one id for the whole stream: ${[...ids]}`);
  assert.equal(firstRole, 'assistant', 'the first delta carries role assistant');
  assert.equal(finish, 'stop');
  assert.ok(content.length > 0, 'streamed content is not empty');
  assert.equal(content, plain, 'the stream carries the same content as the plain answer (mock provider)');
  checkUsage(usage);
  assert.equal(chunksAfterUsage, 0, 'the usage chunk is the last one');
});

test('embeddings.create with two inputs and dimensions 8', async () => {
  // No encoding_format: the SDK asks for base64 and decodes it into numbers.
  const res = await client().embeddings.create({
    model: 'openai/text-embedding-3-small',
    input: ['Bifrost', 'gateway'],
    dimensions: 8,
  });
  assert.equal(res.object, 'list');
  assert.match(res.model, /text-embedding-3-small/, `model echoed: ${res.model}`);
  assert.equal(res.data.length, 2);
  res.data.forEach((d, i) => {
    assert.equal(d.object, 'embedding');
    assert.equal(d.index, i);
    assert.ok(Array.isArray(d.embedding), `embedding ${i} is an array: ${typeof d.embedding}`);
    assert.equal(d.embedding.length, 8, `embedding ${i}: ${JSON.stringify(d.embedding)}`);
    for (const v of d.embedding) {
      assert.ok(typeof v === 'number' && Number.isFinite(v), `embedding ${i} holds numbers: ${JSON.stringify(d.embedding)}`);
      assert.ok(Math.abs(v) <= 1.0001, `embedding ${i} value ${v} in [-1, 1]`);
    }
    assert.ok(d.embedding.some((v) => v !== 0), `embedding ${i} is not all zeros`);
  });
  assert.ok(res.usage.prompt_tokens > 0, `usage.prompt_tokens ${res.usage.prompt_tokens}`);
  assert.equal(res.usage.total_tokens, res.usage.prompt_tokens);

  // The same with floats asked for explicitly: the SDK returns the response as is.
  const floats = await client().embeddings.create({
    model: 'openai/text-embedding-3-small',
    input: ['Bifrost', 'gateway'],
    dimensions: 8,
    encoding_format: 'float',
  });
  assert.equal(floats.data.length, 2);
  floats.data.forEach((d, i) => {
    assert.equal(d.embedding.length, 8);
    d.embedding.forEach((v, j) => {
      assert.equal(typeof v, 'number');
      // base64 carries float32: equal to the float answer within float32 precision.
      assert.ok(Math.abs(v - res.data[i].embedding[j]) < 1e-6, `float ${v} vs base64 ${res.data[i].embedding[j]}`);
    });
  });
});

test('a model with an unknown provider is a 400 APIError naming the provider', async () => {
  await assert.rejects(
    client().chat.completions.create({ model: 'nosuchprovider/some-model', messages }),
    (err) => {
      assert.ok(err instanceof OpenAI.APIError, `an APIError: ${err}`);
      assert.ok(err instanceof OpenAI.BadRequestError, `a BadRequestError: ${err}`);
      assert.equal(err.status, 400);
      assert.match(err.message, /nosuchprovider/, `message names the provider: ${err.message}`);
      assert.ok(err.error && typeof err.error.message === 'string', `OpenAI error body: ${JSON.stringify(err.error)}`);
      return true;
    },
  );
});

test('chat through the /openai/v1 drop-in prefix', async () => {
  const c = client(openaiBaseURL);
  checkChat(await c.chat.completions.create({ model: 'openai/gpt-4o-mini', messages }));

  const stream = await c.chat.completions.create({ model: 'openai/gpt-4o-mini', messages, stream: true });
  let content = '';
  let finish;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    content += choice.delta.content ?? '';
    finish = choice.finish_reason ?? finish;
  }
  assert.ok(content.length > 0, 'streamed content is not empty');
  assert.equal(finish, 'stop');
});

test('models.list', async () => {
  const ids = [];
  for await (const m of client().models.list()) {
    assert.equal(m.object, 'model');
    ids.push(m.id);
  }
  assert.ok(ids.length > 0, 'at least one model');
});
