'use strict';
/**
 * Telegram Bot API emulator for consultbot's end-to-end tests.
 *
 * telegram-test-api (pinned in package.json) stores messages per bot token and offers "client"
 * routes through which a test plays the users. Its bot-side routes are too loose for
 * python-telegram-bot 22 (dates in milliseconds, a three-field getMe, no long polling, edits and
 * deletes that return null, no files), so this file puts a compatibility layer in FRONT of the
 * library's express app: our routes answer first, everything else falls through to the library.
 *
 * Usage: node server.js [PORT]   (or E2E_EMULATOR_PORT; 0 = any free port)
 * Binds 127.0.0.1 only. Writes the chosen port to E2E_EMULATOR_PORT_FILE (if set) and stdout.
 *
 * Client routes (for the Python harness, tests/e2e/harness/): the library's /sendMessage,
 * /sendCommand and /sendCallback (same bodies; they answer {message_id} / {callback_query_id}, and
 * /sendCallback accepts {chat_id, message_id} of the pressed bot message instead of `message`), and:
 *   POST /getChatMessages {token, chatId, afterVersion?, timeout?}  messages in Bot API form,
 *        held (long poll) until the bot changes something for this token when afterVersion given
 *   POST /sendPhoto, /sendDocument {botToken, from, chat, date, filename, mimeType, dataBase64, caption?}
 *   POST /getBotCalls {token}      every Bot API call of this token: {seq, method, params, time}
 *   POST /pollingStatus {token}    {getUpdatesCalls, waiting}: whether the bot is long polling
 *   GET  /fileContent/:fileId      raw bytes of any stored file (sent by the bot or a user)
 *   POST /blockBot {token, chatId, blocked}  the user blocks (or unblocks) the bot: sends get 403
 *   POST /failNextCalls {token, method, count, errorCode?, description?, retryAfter?}
 *        the next `count` calls of `method` fail like Telegram (default: 429 flood control)
 */
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const EventEmitter = require('events');
const express = require('express');
const busboy = require('busboy');
const TelegramServer = require('telegram-test-api');

const HOST = '127.0.0.1';
const MAX_LONG_POLL_SECONDS = 50;
const BOT_NAME = { first_name: 'Consultbot E2E', username: 'consultbot_e2e_bot' };

// The library is used for its storage, its client routes and its update/message counters.
// We never call tts.start(): our own HTTP server (below) serves it, and without start() its
// clean-up daemon never expires messages in the middle of a long test.
const tts = new TelegramServer({ host: HOST, port: 1 });
const changes = new EventEmitter(); // 'user:<token>' / 'bot:<token>' on every change
changes.setMaxListeners(0);

const files = new Map(); // file_id -> {fileId, uniqueId, data, fileName, mimeType, filePath}
const filesByPath = new Map(); // file_path -> same object
const chats = new Map(); // `${token}:${chatId}` -> chat object as the users' messages show it
const calls = new Map(); // token -> [{seq, method, params, time}]
const botVersion = new Map(); // token -> counter bumped on every bot message/edit/delete
const polling = new Map(); // token -> {getUpdatesCalls, waiting}
const allowedUpdates = new Map(); // token -> remembered allowed_updates list
const blocked = new Set(); // `${token}:${chatId}` of users who blocked the bot
const failures = new Map(); // `${token}:${method}` -> {count, errorCode, description, retryAfter}
let callSeq = 0;

// --- helpers ---------------------------------------------------------------------------------

function botUser(token) {
  // Telegram tokens start with the bot's id ("123456:ABC..."); keep that so bot.id is stable.
  const id = Number(String(token).split(':')[0]) || 4242;
  return { id, is_bot: true, ...BOT_NAME };
}

function apiError(res, description, code = 400) {
  res.status(code).json({ ok: false, error_code: code, description });
}

function ok(res, result) {
  res.json({ ok: true, result });
}

/** JSON-decode a parameter python-telegram-bot sent as a form field (all fields are strings). */
function param(body, name) {
  const value = body[name];
  if (typeof value !== 'string') return value;
  try { return JSON.parse(value); } catch (e) { return value; }
}

function bumpBot(token) {
  botVersion.set(token, (botVersion.get(token) || 0) + 1);
  changes.emit(`bot:${token}`);
}

function chatFor(token, chatId) {
  return chats.get(`${token}:${chatId}`) || { id: Number(chatId), type: 'private' };
}

/** Opaque, stable per chat like Telegram's: never the user id itself (leak scans stay meaningful). */
function chatInstance(token, chatId) {
  const digest = crypto.createHash('sha256').update(`${token}:${chatId}`).digest();
  return String(digest.readBigInt64BE(0));
}

/** Telegram answers parse_mode=HTML messages with plain text; tests assert on what users read. */
function renderText(text, parseMode) {
  if (typeof text !== 'string' || String(parseMode).toUpperCase() !== 'HTML') return text;
  return text.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** A stored bot message record as the Bot API's Message object (date in SECONDS). */
function toTelegramMessage(record) {
  const m = record.message;
  const out = {
    message_id: record.messageId,
    from: botUser(record.botToken),
    chat: chatFor(record.botToken, m.chat_id),
    date: Math.floor(record.time / 1000),
  };
  if (m.text !== undefined) out.text = renderText(m.text, m.parse_mode);
  if (m.caption !== undefined) out.caption = renderText(m.caption, m.parse_mode);
  for (const key of ['photo', 'document', 'media_group_id']) {
    if (m[key] !== undefined) out[key] = m[key];
  }
  if (m.reply_markup && m.reply_markup.inline_keyboard) out.reply_markup = m.reply_markup;
  if (record.editDate) out.edit_date = record.editDate;
  return out;
}

function findBotMessage(token, chatId, messageId) {
  return tts.storage.botMessages.find((r) => r.botToken === token && !r.deleted
    && String(r.message.chat_id) === String(chatId) && r.messageId === Number(messageId));
}

/** Width and height of PNG and JPEG images, so PhotoSize looks real; 0x0 for anything else. */
function imageSize(buf) {
  if (buf.length > 24 && buf.readUInt32BE(0) === 0x89504e47) {
    return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
  }
  let i = 2;
  while (buf[0] === 0xff && buf[1] === 0xd8 && i + 9 < buf.length) {
    if (buf[i] !== 0xff) break;
    const marker = buf[i + 1];
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return [buf.readUInt16BE(i + 7), buf.readUInt16BE(i + 5)];
    }
    i += 2 + buf.readUInt16BE(i + 2);
  }
  return [0, 0];
}

function storeFile(data, fileName, mimeType, kind) {
  const fileId = `E2E${kind}${crypto.randomBytes(12).toString('hex')}`;
  const ext = (fileName && fileName.includes('.')) ? fileName.slice(fileName.lastIndexOf('.')) : '';
  const file = {
    fileId, uniqueId: crypto.randomBytes(6).toString('hex'), data, fileName, mimeType,
    filePath: `${kind}s/file_${files.size}${ext}`,
  };
  files.set(fileId, file);
  filesByPath.set(file.filePath, file);
  return file;
}

function photoSizes(file) {
  const [width, height] = imageSize(file.data);
  return [{
    file_id: file.fileId, file_unique_id: file.uniqueId, file_size: file.data.length, width, height,
  }];
}

function documentOf(file) {
  const doc = { file_id: file.fileId, file_unique_id: file.uniqueId, file_size: file.data.length };
  if (file.fileName) doc.file_name = file.fileName;
  if (file.mimeType) doc.mime_type = file.mimeType;
  return doc;
}

/** A photo/document parameter: an uploaded multipart part, "attach://name", or a known file_id. */
function inputFile(req, value, kind) {
  const upload = typeof value === 'string' && value.startsWith('attach://')
    ? req.files[value.slice('attach://'.length)] : req.files[kind];
  if (upload) return storeFile(upload.data, upload.filename, upload.mimeType, kind);
  if (typeof value === 'string' && files.has(value)) return files.get(value);
  return null;
}

function addBotMessage(token, fields) {
  tts.addBotMessage(fields, token);
  const record = tts.storage.botMessages[tts.storage.botMessages.length - 1];
  bumpBot(token);
  return record;
}

// --- request parsing and bookkeeping ---------------------------------------------------------

/** Multipart bodies (file uploads): fields into req.body as strings, files into req.files. */
function multipart(req, res, next) {
  req.files = {};
  if (!req.is('multipart/form-data')) { next(); return; }
  req.body = {};
  const parser = busboy({ headers: req.headers });
  parser.on('field', (name, value) => { req.body[name] = value; });
  parser.on('file', (name, stream, info) => {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      req.files[name] = { data: Buffer.concat(chunks), filename: info.filename, mimeType: info.mimeType };
    });
  });
  parser.on('close', () => next());
  parser.on('error', next);
  req.pipe(parser);
}

function recordCall(req, _res, next) {
  const { token, method } = req.params;
  if (!calls.has(token)) calls.set(token, []);
  callSeq += 1;
  calls.get(token).push({ seq: callSeq, method, params: { ...req.body }, time: Date.now() / 1000 });
  next();
}

/** Failures a test asked for (flood control, blocked users), answered as Telegram answers them. */
function injectedFailures(req, res, next) {
  const { token, method } = req.params;
  const failure = failures.get(`${token}:${method}`);
  if (failure && failure.count > 0) {
    failure.count -= 1;
    res.status(failure.errorCode).json({
      ok: false, error_code: failure.errorCode, description: failure.description,
      ...(failure.retryAfter !== undefined ? { parameters: { retry_after: failure.retryAfter } } : {}),
    });
    return;
  }
  if (method.startsWith('send') && method !== 'sendChatAction' && blocked.has(`${token}:${req.body.chat_id}`)) {
    apiError(res, 'Forbidden: bot was blocked by the user', 403);
    return;
  }
  next();
}

// --- bot API (python-telegram-bot's side) ----------------------------------------------------

const bot = express.Router({ mergeParams: true });
const TRUE_METHODS = [
  'setMyCommands', 'deleteMyCommands', 'setMyDescription', 'setMyShortDescription', 'setMyName',
  'setChatMenuButton', 'sendChatAction', 'close', 'logOut',
];
for (const method of TRUE_METHODS) bot.all(`/${method}`, (_req, res) => ok(res, true));

bot.all('/getMe', (req, res) => ok(res, {
  ...botUser(req.params.token),
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
}));

bot.all('/getMyCommands', (req, res) => {
  const sets = (calls.get(req.params.token) || []).filter((c) => c.method === 'setMyCommands');
  ok(res, sets.length ? param(sets[sets.length - 1].params, 'commands') : []);
});

bot.all('/deleteWebhook', (req, res) => {
  if (String(param(req.body, 'drop_pending_updates')) === 'true') {
    for (const u of tts.storage.userMessages) if (u.botToken === req.params.token) u.isRead = true;
  }
  ok(res, true);
});

bot.all('/getWebhookInfo', (_req, res) => ok(res, { url: '', has_custom_certificate: false, pending_update_count: 0 }));

/** Update JSON as Telegram sends it: no emulator bookkeeping, chat_instance on callbacks. */
function formatUpdate(update) {
  const formatted = TelegramServer.formatUpdate(update);
  if (formatted.message) {
    delete formatted.message.botToken;
    if (formatted.message.date > 1e11) formatted.message.date = Math.floor(formatted.message.date / 1000);
  }
  if (formatted.callback_query) {
    const cq = formatted.callback_query;
    cq.chat_instance = chatInstance(update.botToken, cq.message ? cq.message.chat.id : cq.from.id);
  }
  return formatted;
}

function updateType(update) {
  return 'callbackQuery' in update ? 'callback_query' : 'message';
}

/** Telegram semantics: updates below `offset` are confirmed (gone); the rest stay until then. */
function pendingUpdates(token, body) {
  const mine = tts.storage.userMessages.filter((u) => u.botToken === token && !u.isRead);
  const offset = Number(param(body, 'offset'));
  if (Number.isFinite(offset) && offset > 0) {
    for (const u of mine) if (u.updateId < offset) u.isRead = true;
  } else if (Number.isFinite(offset) && offset < 0) {
    mine.slice(0, Math.max(0, mine.length + offset)).forEach((u) => { u.isRead = true; });
  }
  const requested = param(body, 'allowed_updates');
  if (Array.isArray(requested)) allowedUpdates.set(token, requested);
  const allowed = allowedUpdates.get(token) || [];
  const limit = Math.min(Math.max(Number(param(body, 'limit')) || 100, 1), 100);
  return mine.filter((u) => !u.isRead)
    .filter((u) => {
      if (!allowed.length || allowed.includes(updateType(u))) return true;
      u.isRead = true; // Telegram does not keep updates of types the bot did not ask for
      return false;
    })
    .sort((a, b) => a.updateId - b.updateId)
    .slice(0, limit);
}

/** Long polling: answer at once when updates wait, else hold until one arrives or `timeout`. */
bot.all('/getUpdates', (req, res) => {
  const { token } = req.params;
  const state = polling.get(token) || { getUpdatesCalls: 0, waiting: 0 };
  polling.set(token, state);
  state.getUpdatesCalls += 1;
  const timeout = Math.min(Number(param(req.body, 'timeout')) || 0, MAX_LONG_POLL_SECONDS);
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    state.waiting -= 1;
    clearTimeout(timer);
    changes.off(`user:${token}`, check);
    if (!res.writableEnded && !res.destroyed) ok(res, pendingUpdates(token, req.body).map(formatUpdate));
  };
  const check = () => { if (pendingUpdates(token, req.body).length) finish(); };
  state.waiting += 1;
  const timer = setTimeout(finish, timeout * 1000);
  changes.on(`user:${token}`, check);
  res.on('close', () => {
    // The bot went away (shutdown, cancelled poll): nothing was confirmed, nothing is lost.
    if (!done) { done = true; state.waiting -= 1; clearTimeout(timer); changes.off(`user:${token}`, check); }
  });
  check();
});

bot.all('/sendMessage', (req, res) => {
  if (!req.body.text) { apiError(res, 'Bad Request: message text is empty'); return; }
  if (renderText(req.body.text, req.body.parse_mode).length > 4096) { apiError(res, 'Bad Request: message is too long'); return; }
  const fields = { ...req.body, reply_markup: param(req.body, 'reply_markup') };
  ok(res, toTelegramMessage(addBotMessage(req.params.token, fields)));
});

function sendFile(kind) {
  return (req, res) => {
    const file = inputFile(req, param(req.body, kind), kind);
    if (!file) { apiError(res, `Bad Request: the emulator needs ${kind} as an upload or a known file_id`); return; }
    const fields = {
      chat_id: req.body.chat_id, caption: req.body.caption, parse_mode: req.body.parse_mode,
      reply_markup: param(req.body, 'reply_markup'),
      [kind]: kind === 'photo' ? photoSizes(file) : documentOf(file),
    };
    if (fields.caption === undefined) delete fields.caption;
    ok(res, toTelegramMessage(addBotMessage(req.params.token, fields)));
  };
}
bot.all('/sendPhoto', sendFile('photo'));
bot.all('/sendDocument', sendFile('document'));

bot.all('/sendMediaGroup', (req, res) => {
  const media = param(req.body, 'media');
  if (!Array.isArray(media) || media.length < 2) { apiError(res, 'Bad Request: media must be 2-10 items'); return; }
  const groupId = crypto.randomBytes(8).readBigUInt64BE(0).toString();
  const messages = [];
  for (const item of media) {
    const kind = item.type === 'photo' ? 'photo' : 'document';
    const file = inputFile(req, item.media, kind);
    if (!file) { apiError(res, `Bad Request: unknown media ${item.media}`); return; }
    const fields = {
      chat_id: req.body.chat_id, media_group_id: groupId, parse_mode: item.parse_mode,
      [kind]: kind === 'photo' ? photoSizes(file) : documentOf(file),
    };
    if (item.caption !== undefined) fields.caption = item.caption;
    messages.push(toTelegramMessage(addBotMessage(req.params.token, fields)));
  }
  ok(res, messages);
});

/** Telegram semantics: an edit without reply_markup removes the inline keyboard. */
function editMessage(changeText) {
  return (req, res) => {
    const { token } = req.params;
    if (req.body.inline_message_id) { apiError(res, 'Bad Request: inline messages are not emulated'); return; }
    const record = findBotMessage(token, req.body.chat_id, req.body.message_id);
    if (!record) { apiError(res, 'Bad Request: message to edit not found'); return; }
    const before = JSON.stringify([record.message.text, record.message.caption, record.message.reply_markup]);
    const updated = { ...record.message };
    if (changeText) {
      const key = updated.text === undefined ? 'caption' : 'text';
      updated[key] = req.body[changeText];
      updated.parse_mode = req.body.parse_mode;
    }
    updated.reply_markup = param(req.body, 'reply_markup');
    if (JSON.stringify([updated.text, updated.caption, updated.reply_markup]) === before) {
      apiError(res, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
      return;
    }
    record.message = updated;
    record.editDate = Math.floor(Date.now() / 1000);
    record.version = (record.version || 0) + 1;
    bumpBot(token);
    ok(res, toTelegramMessage(record));
  };
}
bot.all('/editMessageText', editMessage('text'));
bot.all('/editMessageCaption', editMessage('caption'));
bot.all('/editMessageReplyMarkup', editMessage(null));

/** Deleted messages stay in storage, flagged, so tests can assert what the bot deleted. */
bot.all('/deleteMessage', (req, res) => {
  const { token } = req.params;
  const record = findBotMessage(token, req.body.chat_id, req.body.message_id)
    || tts.storage.userMessages.find((u) => u.botToken === token && u.message && !u.deleted
      && String(u.message.chat.id) === String(req.body.chat_id) && u.messageId === Number(req.body.message_id));
  if (!record) { apiError(res, 'Bad Request: message to delete not found'); return; }
  record.deleted = true;
  bumpBot(token);
  ok(res, true);
});

bot.all('/answerCallbackQuery', (_req, res) => ok(res, true));

bot.all('/getFile', (req, res) => {
  const file = files.get(req.body.file_id);
  if (!file) { apiError(res, 'Bad Request: invalid file_id'); return; }
  ok(res, { file_id: file.fileId, file_unique_id: file.uniqueId, file_size: file.data.length, file_path: file.filePath });
});

bot.all('/:method', (req, res) => {
  // Fail like Telegram would, so a missing emulation shows up in the bot's log, not as a hang.
  apiError(res, `Bad Request: method ${req.params.method} is not emulated (tests/e2e/emulator/server.js)`);
});

// --- client API (the tests' side) ------------------------------------------------------------

const client = express.Router();

/** Chats as users' messages show them, so bot messages carry the same chat object. */
function rememberChat(req, _res, next) {
  const chat = req.body.chat || (req.body.from && { ...req.body.from, type: 'private' });
  if (chat && req.body.botToken) {
    const { is_bot: _bot, language_code: _lang, ...plain } = chat;
    chats.set(`${req.body.botToken}:${plain.id}`, plain);
  }
  next();
}
client.post(['/sendMessage', '/sendCommand', '/sendCallback', '/sendPhoto', '/sendDocument'], rememberChat);

// The library's client routes answer null; these answer the ids the library assigns (read
// before the call: it takes them synchronously), so a test can follow its own message.
client.post(['/sendMessage', '/sendCommand'], async (req, res) => {
  const messageId = tts.messageId;
  if (req.path === '/sendCommand') await tts.addUserCommand(req.body);
  else await tts.addUserMessage(req.body);
  ok(res, { message_id: messageId });
});

/** A press on a button: the callback carries the bot message as it is NOW. */
client.post('/sendCallback', async (req, res) => {
  const { chat_id: chatId, message_id: messageId, ...callback } = req.body;
  if (!callback.message) {
    const record = findBotMessage(callback.botToken, chatId, messageId);
    if (!record) { apiError(res, 'message to press a button on not found (deleted?)', 404); return; }
    callback.message = toTelegramMessage(record);
  }
  const callbackQueryId = String(tts.callbackId);
  await tts.addUserCallback(callback);
  ok(res, { callback_query_id: callbackQueryId });
});

function userFile(kind) {
  return async (req, res) => {
    const { botToken, dataBase64, filename, mimeType, ...message } = req.body;
    const file = storeFile(Buffer.from(dataBase64 || '', 'base64'), filename, mimeType, kind);
    message[kind] = kind === 'photo' ? photoSizes(file) : documentOf(file);
    const messageId = tts.messageId;
    await tts.addUserMessage({ ...message, botToken });
    ok(res, { message_id: messageId, file_id: file.fileId });
  };
}
client.post('/sendPhoto', userFile('photo'));
client.post('/sendDocument', userFile('document'));

function chatMessages(token, chatId) {
  const botMessages = tts.storage.botMessages
    .filter((r) => r.botToken === token && String(r.message.chat_id) === String(chatId))
    .map((r) => ({
      ...toTelegramMessage(r),
      // any keyboard as sent (reply keyboards too), which Message.reply_markup cannot carry
      e2e: { from_bot: true, deleted: !!r.deleted, version: r.version || 0, reply_markup: r.message.reply_markup },
    }));
  const userMessages = tts.storage.userMessages
    .filter((u) => u.botToken === token && u.message && String(u.message.chat.id) === String(chatId))
    .map((u) => ({ ...formatUpdate(u).message, e2e: { from_bot: false, deleted: !!u.deleted, version: 0 } }));
  return [...botMessages, ...userMessages].sort((a, b) => a.message_id - b.message_id);
}

/** With afterVersion: hold until the bot changed anything for this token, or timeout. */
client.post('/getChatMessages', (req, res) => {
  const { token, chatId } = req.body;
  const after = req.body.afterVersion;
  const reply = () => ok(res, { version: botVersion.get(token) || 0, messages: chatMessages(token, chatId) });
  if (after === undefined || (botVersion.get(token) || 0) > after) { reply(); return; }
  const onChange = () => { clearTimeout(timer); reply(); };
  const timer = setTimeout(() => { changes.off(`bot:${token}`, onChange); reply(); },
    Math.min(Number(req.body.timeout) || 0, MAX_LONG_POLL_SECONDS) * 1000);
  changes.once(`bot:${token}`, onChange);
  res.on('close', () => { clearTimeout(timer); changes.off(`bot:${token}`, onChange); });
});

client.post('/blockBot', (req, res) => {
  const key = `${req.body.token}:${req.body.chatId}`;
  if (req.body.blocked === false) blocked.delete(key); else blocked.add(key);
  ok(res, true);
});

client.post('/failNextCalls', (req, res) => {
  const { token, method, count = 1, errorCode = 429, retryAfter } = req.body;
  const description = req.body.description
    || (errorCode === 429 ? `Too Many Requests: retry after ${retryAfter ?? 1}` : 'Bad Request: injected');
  failures.set(`${token}:${method}`, {
    count, errorCode, description, retryAfter: errorCode === 429 ? (retryAfter ?? 1) : retryAfter,
  });
  ok(res, true);
});

client.post('/getBotCalls', (req, res) => ok(res, calls.get(req.body.token) || []));

client.post('/pollingStatus', (req, res) => ok(res, polling.get(req.body.token) || { getUpdatesCalls: 0, waiting: 0 }));

client.get('/fileContent/:fileId', (req, res) => {
  const file = files.get(req.params.fileId);
  if (!file) { res.status(404).end(); return; }
  res.type('application/octet-stream').send(file.data);
});

// --- wiring ----------------------------------------------------------------------------------

// Wake long polls when a user update lands; the library's client routes add them this way.
const addUserUpdate = tts.addUserUpdate.bind(tts);
tts.addUserUpdate = async (update) => {
  await addUserUpdate(update);
  changes.emit(`user:${update.botToken}`);
};

const app = express();
app.use(express.json({ limit: '60mb' }));
app.use(express.urlencoded({ extended: true, limit: '60mb' }));
app.use('/bot:token/:method', multipart, recordCall, injectedFailures);
app.use('/bot:token', bot);
app.get('/file/bot:token/*', (req, res) => {
  const file = filesByPath.get(req.params[0]);
  if (!file) { res.status(404).json({ ok: false, error_code: 404, description: 'Not Found' }); return; }
  res.type('application/octet-stream').send(file.data);
});
app.use(client);
app.use(tts.webServer); // the library's other client routes: /getUpdates, /getUpdatesHistory

const port = Number(process.argv[2] || process.env.E2E_EMULATOR_PORT || 0);
const server = http.createServer(app);
server.listen(port, HOST, () => {
  const actual = server.address().port;
  if (process.env.E2E_EMULATOR_PORT_FILE) fs.writeFileSync(process.env.E2E_EMULATOR_PORT_FILE, String(actual));
  process.stdout.write(`telegram-test-api emulator listening on http://${HOST}:${actual}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  if (server.closeAllConnections) server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
