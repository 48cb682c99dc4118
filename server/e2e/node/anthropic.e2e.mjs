// End-to-end tests of Bifrost's Anthropic drop-in API (/anthropic/v1) with the official
// Anthropic Node SDK, pointed at the gateway by its baseURL only. Run by
// server/e2e/anthropic_sdk_test.go as `node --test anthropic.e2e.mjs`, with
// BIFROST_ANTHROPIC_BASE_URL (the gateway's /anthropic URL) and BIFROST_ANTHROPIC_TARGETS
// (a JSON list of {name, model, callsTools}: one per provider behind the gateway). The name
// does not match `node --test`'s default patterns, so the OpenAI SDK run leaves it out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';

const baseURL = process.env.BIFROST_ANTHROPIC_BASE_URL;
const targets = JSON.parse(process.env.BIFROST_ANTHROPIC_TARGETS ?? '[]');
const skip = baseURL ? false : 'BIFROST_ANTHROPIC_BASE_URL is not set (run through go test)';

const client = new Anthropic({ baseURL, apiKey: 'sk-client-key-the-gateway-ignores', maxRetries: 0 });
const tools = [{
  name: 'search',
  description: 'Search the documentation.',
  input_schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
}];
const user = (text) => ({ role: 'user', content: text });

for (const t of targets) {
  test(`${t.name}: plain message`, { skip }, async () => {
    const msg = await client.messages.create({
      model: t.model, max_tokens: 256, system: 'Be brief.', messages: [user('Say hello.')],
    });
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.ok(msg.id);
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.content[0].type, 'text');
    assert.ok(msg.content[0].text.length > 0);
    assert.ok(msg.usage.input_tokens > 0 && msg.usage.output_tokens > 0);
  });

  test(`${t.name}: streamed message`, { skip }, async () => {
    const stream = client.messages.stream({ model: t.model, max_tokens: 256, messages: [user('Count to three.')] });
    const types = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const msg = await stream.finalMessage();
    assert.equal(types[0], 'message_start');
    assert.equal(types.at(-1), 'message_stop');
    assert.ok(types.includes('content_block_start') && types.includes('content_block_delta') && types.includes('content_block_stop'));
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.content.length, 1);
    assert.ok(msg.content[0].text.length > 0);
    assert.ok(msg.usage.output_tokens > 0);
  });

  test(`${t.name}: tool_use, then tool_result`, { skip }, async () => {
    const first = [user('Find the docs about retries.')];
    let assistant;
    if (t.callsTools) {
      const msg = await client.messages.create({ model: t.model, max_tokens: 256, tools, messages: first });
      assert.equal(msg.stop_reason, 'tool_use');
      const call = msg.content.find((b) => b.type === 'tool_use');
      assert.ok(call && call.id && call.name === 'search', JSON.stringify(msg.content));
      assert.equal(typeof call.input, 'object');
      assistant = { role: 'assistant', content: msg.content };
    } else {
      // The provider's mock answers in text: send the tool turn the client would have made.
      assistant = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_node', name: 'search', input: { query: 'retries' } }] };
    }
    const id = assistant.content.find((b) => b.type === 'tool_use').id;
    const msg = await client.messages.create({
      model: t.model, max_tokens: 256, tools,
      messages: [...first, assistant, { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'Retries use backoff with jitter.' }] }],
    });
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.content[0].type, 'text');
  });

  if (t.callsTools) {
    test(`${t.name}: streamed tool_use`, { skip }, async () => {
      const stream = client.messages.stream({ model: t.model, max_tokens: 256, tools, messages: [user('Find the docs.')] });
      const msg = await stream.finalMessage();
      assert.equal(msg.stop_reason, 'tool_use');
      const call = msg.content.find((b) => b.type === 'tool_use');
      assert.ok(call && call.id && call.name === 'search', JSON.stringify(msg.content));
      assert.equal(typeof call.input, 'object');
    });
  }
}

test('models list', { skip }, async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    assert.equal(m.type, 'model');
    ids.push(m.id);
  }
  for (const t of targets) {
    const provider = t.model.includes('/') ? t.model.split('/')[0] : 'anthropic';
    assert.ok(ids.some((id) => id.startsWith(provider + '/')), `no ${provider} model in ${ids}`);
  }
});

test('errors in Anthropic shape', { skip }, async () => {
  await assert.rejects(
    client.messages.create({ model: 'nosuchprovider/x', max_tokens: 16, messages: [user('hi')] }),
    (e) => e instanceof Anthropic.BadRequestError && e.status === 400 && e.error?.type === 'error' &&
      e.error?.error?.type === 'invalid_request_error' && /nosuchprovider/.test(e.error.error.message),
  );
  // count_tokens goes to the target's own counter; a provider without one is a 400, never an
  // estimate.
  const anthropic = targets.find((t) => t.name === 'anthropic');
  if (anthropic) {
    const counted = await client.messages.countTokens({ model: anthropic.model, messages: [user('hi')] });
    assert.ok(counted.input_tokens > 0, `input_tokens ${counted.input_tokens}`);
  }
  const openai = targets.find((t) => t.name === 'openai');
  if (openai) {
    await assert.rejects(
      client.messages.countTokens({ model: openai.model, messages: [user('hi')] }),
      (e) => e instanceof Anthropic.BadRequestError && e.error?.error?.type === 'invalid_request_error' &&
        /does not support token counting/.test(e.error.error.message),
    );
  }
});
