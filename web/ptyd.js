// ptyd.js: the browser side of ptyd(1).
//
// On load: the session named by the URL fragment (#ID) or, failing that,
// the one remembered in localStorage is reattached if GET terminals/ID says
// it exists and has not exited; otherwise POST terminals {cols, rows} starts
// one at the fitted size, and its id goes into the fragment and
// localStorage.  Then a WebSocket to terminals/ID:
//   server -> page  binary frames: output (the scrollback tail first, so a
//                   reload restores the screen); text frames: JSON events,
//                   {"type":"exit","exit_code":N|null,"signal":"SIG..."|null}
//   page -> server  binary frames: keyboard input (UTF-8);
//                   text frames: {"type":"resize","cols":C,"rows":R}
// Close code 4001 means a newer client took the session over: say so and
// stay off.  Any other unexpected close: reconnect with backoff, resetting
// the screen first since the server replays the tail again.
//
// window.term (the xterm.js Terminal) and window.ptyd (the state below)
// are exposed for test/t0310-ptyd-browser.sh.
(function () {
	'use strict';

	const KEY = 'ptyd.session';
	const CLOSE_PREEMPTED = 4001;
	const BACKOFF_MIN = 250, BACKOFF_MAX = 10000;

	const term = new Terminal({ scrollback: 10000, allowProposedApi: false });
	const fit = new FitAddon.FitAddon();
	term.loadAddon(fit);
	term.open(document.getElementById('terminal'));
	fit.fit();

	const state = { id: null, pid: null, ws: null, status: 'starting',
		connects: 0, backoff: BACKOFF_MIN };
	window.term = term;
	window.ptyd = state;

	const enc = new TextEncoder();

	// A line of our own in the terminal, dim, on a line of its own.
	// Output is parsed asynchronously: look at the cursor once it is done.
	function note(text) {
		term.write('', function () {
			const nl = term.buffer.active.cursorX ? '\r\n' : '';
			term.write(nl + '\x1b[2m[' + text + ']\x1b[0m\r\n');
		});
	}

	function fail(text) {
		state.status = 'failed';
		note(text);
	}

	async function json(resp) {
		try { return await resp.json(); } catch (e) { return {}; }
	}

	function termURL(id) {
		return new URL('terminals/' + encodeURIComponent(id), location.href);
	}

	// The session to attach to: a live remembered one, or a new one.
	async function session() {
		const want = decodeURIComponent(location.hash.slice(1)) ||
			localStorage.getItem(KEY);
		if (want) {
			const r = await fetch(termURL(want), { cache: 'no-store' });
			if (r.ok) {
				const s = await json(r);
				if (!s.exited)
					return { id: want, pid: s.pid };
			} else if (r.status !== 404) {
				throw new Error('GET terminals/' + want + ': ' + r.status +
					' ' + ((await json(r)).error || r.statusText));
			}
		}
		const r = await fetch(new URL('terminals', location.href), {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ cols: term.cols, rows: term.rows }),
		});
		const s = await json(r);
		if (r.status !== 201 || !s.id)
			throw new Error('POST terminals: ' + r.status + ' ' +
				(s.error || r.statusText));
		return s;
	}

	function remember(id) {
		history.replaceState(null, '', '#' + encodeURIComponent(id));
		try { localStorage.setItem(KEY, id); } catch (e) { /* private mode */ }
	}

	function forget() {
		try {
			if (localStorage.getItem(KEY) === state.id)
				localStorage.removeItem(KEY);
		} catch (e) { /* private mode */ }
	}

	function send(data) {
		if (state.ws && state.ws.readyState === WebSocket.OPEN)
			state.ws.send(data);
	}

	function sendResize() {
		send(JSON.stringify({ type: 'resize', cols: term.cols, rows: term.rows }));
	}

	function onEvent(ev) {
		if (ev.type === 'exit') {
			state.status = 'exited';
			state.exit = ev;
			forget();
			let how;
			if (ev.signal)
				how = 'signal ' + ev.signal;
			else if (ev.exit_code !== null && ev.exit_code !== undefined)
				how = 'code ' + ev.exit_code;
			else
				how = 'unknown status';
			note('process exited with ' + how);
			// Nothing more to type into: no cursor, no input.
			term.write('\x1b[?25l');
			term.options.disableStdin = true;
		} else if (ev.type === 'error') {
			// A control message of ours was refused.
			console.warn('ptyd: ' + ev.error);
		}
		// Other event types are for newer pages; ignore them.
	}

	function connect() {
		const u = termURL(state.id);
		u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
		u.hash = '';
		const ws = new WebSocket(u);
		ws.binaryType = 'arraybuffer';
		state.ws = ws;
		state.status = 'connecting';

		ws.onopen = function () {
			state.connects++;
			state.backoff = BACKOFF_MIN;
			state.status = 'attached';
			// The server sends the scrollback tail again: start clean.
			// RIS through the parser, so output still queued from an
			// earlier connection is drawn before it, not after.
			term.write('\x1bc');
			sendResize();
		};
		ws.onmessage = function (m) {
			if (typeof m.data === 'string') {
				let ev;
				try { ev = JSON.parse(m.data); } catch (e) { return; }
				onEvent(ev);
			} else {
				term.write(new Uint8Array(m.data));
			}
		};
		ws.onclose = function (c) {
			if (state.ws !== ws)
				return;
			state.ws = null;
			state.closeCode = c.code;
			if (state.status === 'exited')
				return;
			if (c.code === CLOSE_PREEMPTED) {
				state.status = 'preempted';
				term.options.disableStdin = true;
				note('another client attached to this session; reload to take it back');
				return;
			}
			state.status = 'reconnecting';
			const delay = state.backoff;
			state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX);
			setTimeout(reconnect, delay);
		};
	}

	// Before reconnecting, ask whether the session is still there.
	async function reconnect() {
		try {
			const r = await fetch(termURL(state.id), { cache: 'no-store' });
			if (r.status === 404) {
				forget();
				return fail('session ' + state.id + ' is gone; reload for a new one');
			}
			if (r.status === 401 || r.status === 403)
				return fail('ptyd refused: ' + ((await json(r)).error ||
					r.status) + '; open /?token=TOKEN to sign in again');
		} catch (e) {
			/* ptyd unreachable: try the socket anyway, it backs off */
		}
		connect();
	}

	term.onData(function (d) { send(enc.encode(d)); });
	// Mouse reports in X10 mode are bytes, not UTF-8.
	term.onBinary(function (d) {
		send(Uint8Array.from(d, function (c) { return c.charCodeAt(0) & 0xff; }));
	});
	term.onResize(sendResize);

	let pending = false;
	window.addEventListener('resize', function () {
		if (pending)
			return;
		pending = true;
		requestAnimationFrame(function () { pending = false; fit.fit(); });
	});

	// Another #ID typed into the address bar: attach to that one instead.
	window.addEventListener('hashchange', function () {
		if (state.id && decodeURIComponent(location.hash.slice(1)) !== state.id)
			location.reload();
	});

	session().then(function (s) {
		state.id = s.id;
		state.pid = s.pid;
		remember(s.id);
		document.title = 'ptyd ' + s.id;
		connect();
		term.focus();
	}, function (e) {
		fail(e.message);
	});
})();
