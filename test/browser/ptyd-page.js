// ptyd-page.js SCENARIO=URL...: drive ptyd's terminal page in Debian's
// chromium, headless, with playwright-core (from build/browser, found
// through NODE_PATH), for test/t0310-ptyd-browser.sh.  The scenarios run in
// order in one browser (starting chromium is most of the cost), each in a
// fresh context (no cookies, no localStorage).  Each prints a line
// "NAME {JSON of what it saw}" for the shell test to check, or the reason
// on stderr when a step times out (and the exit status is then 1).
//
//   hello URL     type "echo hello" Enter, wait for "hello" on its own row,
//                 reload, wait for it again; print id and pid before and
//                 after, the rows after the reload and GET /terminals;
//                 then drop the WebSocket and wait for the reconnect.
//   preempt URL   attach a first page, then a second one to the same
//                 session (#ID): print both pages' status and close codes;
//                 then kill the shell with SIGKILL from the second.
//   exit URL      "stty size" shows the page's size, also after the window
//                 shrinks; then "exit 3": print the rows (with the exit
//                 line).
//   tls URL       an https: URL (certificate errors ignored): attach, type
//                 "echo hello" and see it.
//   token URL     URL is /?token=T: the page after the redirect types
//                 "echo hello" and waits for it; print the final URL.
'use strict';
const { chromium } = require('playwright-core');

const T = 15000;	// per step, in ms: generous for a loaded machine; a pass takes ~10 s

// The visible rows of the terminal, right-trimmed.
function rows(page) {
	return page.evaluate(() => {
		const b = window.term.buffer.active, out = [];
		for (let i = 0; i < window.term.rows; i++) {
			const l = b.getLine(b.viewportY + i);
			out.push(l ? l.translateToString(true) : '');
		}
		return out;
	});
}

async function attached(page) {
	await page.waitForFunction(() => window.ptyd && window.ptyd.status === 'attached',
		null, { timeout: T });
}

// Wait until some visible row is exactly `text`.
async function row(page, text) {
	await page.waitForFunction((t) => {
		const term = window.term;
		if (!term) return false;
		const b = term.buffer.active;
		for (let i = 0; i < term.rows; i++) {
			const l = b.getLine(b.viewportY + i);
			if (l && l.translateToString(true).trim() === t) return true;
		}
		return false;
	}, text, { timeout: T });
}

// Wait for the shell's prompt ("# " or "$ ") before the cursor.  A line
// typed ahead of it is echoed before the prompt, and its output then
// lands on the prompt's row ("# hello"), where row() does not look.
async function prompt(page) {
	await page.waitForFunction(() => {
		const b = window.term && window.term.buffer.active;
		const l = b && b.getLine(b.baseY + b.cursorY);
		return !!l && /[#$] $/.test(l.translateToString(false).slice(0, b.cursorX));
	}, null, { timeout: T });
}

async function type(page, text) {
	await prompt(page);
	await page.locator('.xterm-helper-textarea').focus();
	await page.keyboard.type(text);
	await page.keyboard.press('Enter');
}

function state(page) {
	return page.evaluate(() => ({ id: window.ptyd.id, pid: window.ptyd.pid,
		status: window.ptyd.status, closeCode: window.ptyd.closeCode,
		hash: location.hash, connects: window.ptyd.connects }));
}

const scenarios = {
	async hello(ctx, url) {
		const page = await ctx.newPage();
		await page.goto(url);
		await attached(page);
		await type(page, 'echo hello');
		await row(page, 'hello');
		const before = await state(page);
		const rowsBefore = await rows(page);
		await page.reload();
		await attached(page);
		await row(page, 'hello');
		const after = await state(page);
		const list = await (await fetch(new URL('/terminals', url))).json();
		const rowsAfter = await rows(page);
		// A dropped connection: the page reconnects, and the replay
		// redraws the screen rather than adding to it.
		await page.evaluate(() => window.ptyd.ws.close());
		await page.waitForFunction(() => window.ptyd.connects === 2 &&
			window.ptyd.status === 'attached', null, { timeout: T });
		await row(page, 'hello');
		const again = await state(page);
		return { before, after, rowsBefore, rows: rowsAfter, list, again,
			hellos: (await rows(page)).filter((l) => l === 'hello').length };
	},
	async preempt(ctx, url) {
		const a = await ctx.newPage();
		await a.goto(url);
		await attached(a);
		await type(a, 'echo first');
		await row(a, 'first');
		const id = (await state(a)).id;
		const b = await ctx.newPage();
		await b.goto(url.replace(/#.*/, '') + '#' + id);
		await attached(b);
		await a.waitForFunction(() => window.ptyd.status === 'preempted',
			null, { timeout: T });
		await row(b, 'first');
		await type(b, 'echo second');
		await row(b, 'second');
		// Give a wrongly reconnecting first page time to steal it back.
		await a.waitForTimeout(500);
		const r = { a: await state(a), b: await state(b), arows: await rows(a) };
		// Then the session's process (ptyd runs sh -c COMMAND) dies of a
		// signal: the newer page says which.
		await type(b, 'kill -KILL ' + r.b.pid);
		await b.waitForFunction(() => window.ptyd.status === 'exited',
			null, { timeout: T });
		r.brows = await rows(b);
		return r;
	},
	async exit(ctx, url) {
		const page = await ctx.newPage();
		await page.goto(url);
		await attached(page);
		// The shell's idea of the size follows the page's.
		const size = () => page.evaluate(() => term.rows + ' ' + term.cols);
		const size1 = await size();
		await type(page, 'stty size');
		await row(page, size1);
		await page.setViewportSize({ width: 520, height: 300 });
		await page.waitForFunction((s) => term.rows + ' ' + term.cols !== s,
			size1, { timeout: T });
		const size2 = await size();
		await type(page, 'stty size');
		await row(page, size2);
		await type(page, 'exit 3');
		await page.waitForFunction(() => window.ptyd.status === 'exited',
			null, { timeout: T });
		return { state: await state(page), rows: await rows(page), size1, size2 };
	},
	// Over TLS: the page must use wss:, and the WebSocket carry the rest.
	async tls(ctx, url) {
		const page = await ctx.newPage();
		await page.goto(url);
		await attached(page);
		await type(page, 'echo hello');
		await row(page, 'hello');
		return { url: page.url(), state: await state(page) };
	},
	async token(ctx, url) {
		const page = await ctx.newPage();
		await page.goto(url);
		await attached(page);
		await type(page, 'echo hello');
		await row(page, 'hello');
		return { url: page.url(), state: await state(page),
			cookies: (await ctx.cookies()).map((c) => c.name) };
	},
};

(async () => {
	const runs = process.argv.slice(2).map((a) => a.split(/=(.*)/s));
	if (!runs.length || runs.some(([n, u]) => !scenarios[n] || !u)) {
		console.error('usage: ptyd-page.js hello|preempt|exit|tls|token=URL...');
		process.exit(100);
	}
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		// root in a container: no sandbox; the rest keeps chromium off the
		// network, which is closed here and only slows it down.
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync'],
	});
	let code = 0;
	try {
		for (const [name, url] of runs) {
			const t0 = Date.now();
			const ctx = await browser.newContext({
				viewport: { width: 800, height: 480 },
				// the test's own self-signed certificate
				ignoreHTTPSErrors: url.startsWith('https:'),
			});
			const logs = [];
			ctx.on('page', (p) => {
				p.on('console', (m) => logs.push(m.type() + ': ' + m.text()));
				p.on('pageerror', (e) => logs.push('pageerror: ' + e.message));
			});
			try {
				const r = await scenarios[name](ctx, url);
				r.ms = Date.now() - t0;
				r.errors = logs.filter((l) => /^(error|pageerror):/.test(l));
				console.log(name + ' ' + JSON.stringify(r));
			} catch (e) {
				console.error(name + ': ' + e.message.split('\n')[0]);
				for (const p of ctx.pages())
					console.error('rows of ' + p.url() + ':\n' +
						(await rows(p).catch(() => [])).join('\n'));
				console.error(logs.join('\n'));
				code = 1;
			}
			await ctx.close();
		}
	} finally {
		await browser.close();
	}
	process.exit(code);
})();
