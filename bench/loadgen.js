'use strict';
/**
 * Load generator of the end-to-end benchmark: plays Telegram users against the
 * telegram-test-api emulator's client API (tests/e2e/emulator/server.js), from Node.js so
 * that generating the load costs the Python bot nothing.
 *
 *   node bench/loadgen.js setup   URL TOKEN USERS FIRST_ID SURVEY_ID
 *       each user opens the deep link, presses "I agree" and waits for "Question 1"
 *   node bench/loadgen.js backlog URL TOKEN USERS FIRST_ID PER_USER
 *       posts USERS x PER_USER text messages, round-robin over the users
 *
 * Prints one JSON line: {"mode", "users", "messages", "seconds"}. Exits 1 on any failure.
 * Needs Node.js >= 18 (global fetch); talks to 127.0.0.1 only.
 */

const IN_FLIGHT = 32;
const SETUP_TIMEOUT_MS = 120000;

async function call(url, route, body) {
  const response = await fetch(url + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!data.ok) throw new Error(`${route}: ${data.description || JSON.stringify(data)}`);
  return data.result;
}

function user(id) {
  return { id, is_bot: false, first_name: `U${id}`, language_code: 'en' };
}

function message(token, id, text, entities) {
  const chat = { id, type: 'private', first_name: `U${id}` };
  const body = { botToken: token, from: user(id), chat, date: Math.floor(Date.now() / 1000), text };
  if (entities) body.entities = entities;
  return body;
}

/** Run fn over items with at most `limit` promises at once. */
async function pool(items, limit, fn) {
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Long-poll the chat until `found(messages)` returns something. */
async function waitFor(url, token, chatId, found) {
  const deadline = Date.now() + SETUP_TIMEOUT_MS;
  let version;
  for (;;) {
    const body = { token, chatId };
    if (version !== undefined) Object.assign(body, { afterVersion: version, timeout: 5 });
    const result = await call(url, '/getChatMessages', body);
    const hit = found(result.messages.filter((m) => m.e2e.from_bot && !m.e2e.deleted));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`chat ${chatId}: the bot did not answer in time`);
    version = result.version;
  }
}

function button(messages, prefix) {
  for (const m of [...messages].reverse()) {
    const rows = (m.reply_markup && m.reply_markup.inline_keyboard) || [];
    for (const row of rows) {
      for (const b of row) {
        if (b.callback_data && b.callback_data.startsWith(prefix)) return { message: m, data: b.callback_data };
      }
    }
  }
  return null;
}

async function setup(url, token, ids, surveyId) {
  await pool(ids, IN_FLIGHT, async (id) => {
    const command = `/start ${surveyId}`;
    await call(url, '/sendCommand', message(token, id, command, [{ type: 'bot_command', offset: 0, length: 6 }]));
    const agree = await waitFor(url, token, id, (ms) => button(ms, 'c|'));
    await call(url, '/sendCallback', {
      botToken: token, from: user(id), chat_id: id, message_id: agree.message.message_id,
      data: agree.data, date: Math.floor(Date.now() / 1000),
    });
    await waitFor(url, token, id, (ms) => ms.find((m) => (m.text || '').includes('Question 1')));
  });
  return ids.length * 2;
}

async function backlog(url, token, ids, perUser) {
  const items = [];
  for (let n = 1; n <= perUser; n += 1) {
    for (const id of ids) items.push([id, n]);
  }
  await pool(items, IN_FLIGHT, async ([id, n]) => {
    await call(url, '/sendMessage', message(token, id, `Answer ${n} from a participant: better pay and safer work.`));
  });
  return items.length;
}

async function main() {
  const [mode, url, token, usersArg, firstArg, extra] = process.argv.slice(2);
  const users = Number(usersArg);
  const first = Number(firstArg);
  if (!['setup', 'backlog'].includes(mode) || !url || !token || !(users > 0) || !(first > 0)) {
    process.stderr.write('usage: node loadgen.js setup|backlog URL TOKEN USERS FIRST_ID SURVEY_ID|PER_USER\n');
    process.exit(2);
  }
  const ids = Array.from({ length: users }, (_, i) => first + i);
  const started = process.hrtime.bigint();
  const messages = mode === 'setup'
    ? await setup(url, token, ids, extra)
    : await backlog(url, token, ids, Number(extra));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ mode, users, messages, seconds })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
