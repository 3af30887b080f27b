/* 全岗通 calling board and scrolling strip. Plain JavaScript, no framework, no build step.
 *
 * The board loads board.json, then follows the site's live feed (EventSource). Each call or recall is
 * shown, flashed and announced (a chime, then Chinese speech) exactly once:
 * - the id of the last announced call is kept in localStorage per site, so a reload never repeats one
 *   and resumes the feed from there (calls made during the reload are still announced);
 * - a dropped connection resumes after the last event received (Last-Event-ID, or ?after= when this
 *   script reconnects itself), so every call missed meanwhile arrives and is announced once, in order.
 * Browsers play sound only after a click on the page: an overlay asks for one, unless ?autoplay=1
 * (for a kiosk Chromium started with --autoplay-policy=no-user-gesture-required).
 */
(function () {
  "use strict";

  var MAX_CALLS = 8; // as board.json sends
  var MAX_QUEUE = 30;
  var STALE_MS = 10 * 60 * 1000; // a call older than this (a screen that was off) is shown, not spoken
  var CHIME_MS = 1100;
  var PAUSE_MS = 600;
  var FLASH_MS = 6000;
  var RETRY_MAX_MS = 30000;
  var BOARD_REFRESH_MS = 5 * 60 * 1000;
  var STRIP_REFRESH_MS = 30 * 60 * 1000;
  var RELOAD_AFTER_MS = 24 * 3600 * 1000;
  var WEEKDAYS = "日一二三四五六";
  var TICKET_KINDS = [
    "ticket.issued", "ticket.requeued", "ticket.no_show", "ticket.held", "ticket.transferred",
    "ticket.serving", "ticket.finished", "ticket.closed", "ticket.called", "ticket.recalled", "ticket.resumed"
  ];
  var LEAVES_WINDOW = {
    "ticket.no_show": true, "ticket.held": true, "ticket.transferred": true, "ticket.finished": true, "ticket.closed": true
  };

  function $(id) { return document.getElementById(id); }

  function setText(el, value) {
    if (el) el.textContent = value === null || value === undefined ? "" : String(value);
  }

  function make(tag, className, value) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (value !== undefined) setText(el, value);
    return el;
  }

  function getJSON(url) {
    return fetch(url, { cache: "no-store", credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(url + " → " + response.status);
      return response.json();
    });
  }

  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function readId(key) {
    var s = store(), value = s && s.getItem(key);
    return value && /^\d+$/.test(value) ? parseInt(value, 10) : null;
  }

  function writeId(key, value) {
    var s = store();
    try { if (s) s.setItem(key, String(value)); } catch (e) { /* private mode: this page still works */ }
  }

  function pausedText(number, reason) {
    return reason && reason !== "暂停服务" ? number + "号窗口暂停服务（" + reason + "）" : number + "号窗口暂停服务";
  }

  function statusText(w) {
    if (w.state === "paused") return "暂停服务";
    if (w.state === "closed") return "未开放";
    if (w.ticket_status === "called") return "请到窗口";
    if (w.ticket_status === "serving") return "办理中";
    return "等待叫号";
  }

  function restart(el, className, ms) {
    if (!el) return;
    el.classList.remove(className);
    void el.offsetWidth; // restart the CSS animation
    el.classList.add(className);
    clearTimeout(el._qgtTimer);
    el._qgtTimer = setTimeout(function () { el.classList.remove(className); }, ms);
  }

  // --- the calling board ------------------------------------------------------------------------

  function Board(root) {
    var params = new URLSearchParams(window.location.search);
    this.root = root;
    this.boardUrl = root.dataset.boardUrl;
    this.eventsUrl = root.dataset.eventsUrl;
    this.streamMs = (parseInt(root.dataset.streamSeconds, 10) || 600) * 1000;
    this.key = "qgt:display:" + root.dataset.site + ":announced";
    this.announced = readId(this.key);
    this.unlocked = params.get("autoplay") === "1";
    this.windows = {};
    this.queue = [];
    this.speaking = false;
    this.utterance = null;
    this.audio = null;
    this.offset = 0; // the server's clock minus this screen's
    this.source = null;
    this.lastId = null;
    this.broken = false;
    this.retryMs = 1000;
    this.retryTimer = null;
    this.lastSign = Date.now();
    this.startedAt = Date.now();
    this.lastCallAt = 0;
    this.opens = 0;
  }

  Board.prototype.start = function () {
    var self = this;
    if (!this.unlocked) this.askForSound();
    this.tick();
    setInterval(function () { self.tick(); }, 1000);
    setInterval(function () { self.watchdog(); }, 15000);
    setInterval(function () { self.update(); }, BOARD_REFRESH_MS);
    this.boot(1000);
  };

  Board.prototype.boot = function (delay) {
    var self = this;
    this.refresh().then(function (board) {
      var latest = board.last_event_id;
      // First run on this screen, or a database with fewer events than we saw: start from now.
      if (self.announced === null || self.announced > latest) self.setAnnounced(latest);
      self.connect(self.announced);
    }, function () {
      self.showBroken(true);
      setTimeout(function () { self.boot(Math.min(delay * 2, RETRY_MAX_MS)); }, delay);
    });
  };

  Board.prototype.refresh = function () {
    var self = this;
    return getJSON(this.boardUrl).then(function (board) {
      var serverNow = Date.parse(board.generated_at);
      if (!isNaN(serverNow)) self.offset = serverNow - Date.now();
      self.render(board);
      return board;
    });
  };

  Board.prototype.update = function () {
    this.refresh().catch(function () { /* the next event, reconnect or timer tries again */ });
  };

  Board.prototype.setAnnounced = function (id) {
    this.announced = id;
    writeId(this.key, id);
  };

  // The live feed.

  Board.prototype.connect = function (after) {
    var self = this;
    if (this.source) this.source.close();
    clearTimeout(this.retryTimer);
    this.lastId = after;
    var source = new EventSource(this.eventsUrl + (after === null ? "" : "?after=" + after));
    this.source = source;
    source.onopen = function () {
      self.opens += 1;
      self.lastSign = Date.now();
      self.retryMs = 1000;
      var wasBroken = self.broken;
      self.showBroken(false);
      if (wasBroken) self.update(); // whatever changed while away, besides the events to come
    };
    source.onerror = function () {
      self.showBroken(true);
      // EventSource retries by itself with Last-Event-ID; when it has given up, reconnect here.
      if (source.readyState === EventSource.CLOSED) self.reconnectLater();
    };
    function on(kind, handler) {
      source.addEventListener(kind, function (event) {
        var id = parseInt(event.lastEventId, 10);
        if (kind !== "reset" && !isNaN(id) && self.lastId !== null && id <= self.lastId) return;
        if (!isNaN(id)) self.lastId = id;
        self.lastSign = Date.now();
        var data = {};
        try { data = JSON.parse(event.data); } catch (e) { return; }
        handler.call(self, id, data, kind);
      });
    }
    on("call", this.onCall);
    on("window", this.onWindow);
    on("day.closed", this.update);
    on("reset", this.onReset);
    TICKET_KINDS.forEach(function (kind) { on(kind, self.onTicket); });
  };

  Board.prototype.reconnectLater = function () {
    var self = this;
    if (this.source) this.source.close();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(function () { self.connect(self.lastId); }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  };

  Board.prototype.watchdog = function () {
    // The server ends every stream after streamMs; silence well past that means a dead connection.
    if (Date.now() - this.lastSign > this.streamMs + 60000) {
      this.lastSign = Date.now();
      this.showBroken(true);
      this.reconnectLater();
    }
    var idle = !this.speaking && this.queue.length === 0 && Date.now() - this.lastCallAt > STALE_MS;
    if (idle && Date.now() - this.startedAt > RELOAD_AFTER_MS) window.location.reload();
  };

  Board.prototype.showBroken = function (broken) {
    this.broken = broken;
    var link = $("board-link");
    if (link) link.hidden = !broken;
    document.body.setAttribute("data-live", broken ? "broken" : "open");
  };

  Board.prototype.fresh = function (at) {
    var when = Date.parse(at);
    return isNaN(when) || Date.now() + this.offset - when < STALE_MS;
  };

  Board.prototype.onCall = function (id, data) {
    var w = this.windows[data.window];
    this.leaveWindows(data.ticket);
    if (w) {
      w.ticket = data.ticket;
      w.ticket_status = "called";
      this.drawWindow(w.number);
    }
    this.drawWaiting(data.waiting);
    this.addCall(id, data);
    if (this.announced !== null && id <= this.announced) return; // shown before this reload; not again
    var fresh = this.fresh(data.at);
    if (fresh) {
      this.lastCallAt = Date.now();
      setText($("board-latest"), data.text);
      restart($("board-latest"), "flash", FLASH_MS);
      if (w) restart(this.row(w.number), "flash", FLASH_MS);
    }
    this.queue.push({ id: id, text: data.text, silent: !fresh });
    if (this.queue.length > MAX_QUEUE) this.queue.shift();
    this.pump();
  };

  Board.prototype.onWindow = function (id, data) {
    var w = this.windows[data.window];
    this.drawWaiting(data.waiting);
    if (!w) {
      this.update(); // a window added since the board was loaded
      return;
    }
    w.state = data.state;
    w.reason = data.state === "paused" ? data.reason || "暂停服务" : "";
    this.drawWindow(w.number);
    this.drawPaused();
  };

  Board.prototype.onTicket = function (id, data, kind) {
    this.drawWaiting(data.waiting);
    if (kind === "ticket.serving") {
      for (var n in this.windows) {
        if (this.windows[n].ticket === data.ticket) {
          this.windows[n].ticket_status = "serving";
          this.drawWindow(n);
        }
      }
    } else if (LEAVES_WINDOW[kind]) {
      this.leaveWindows(data.ticket);
    }
  };

  Board.prototype.onReset = function (id) {
    // Too far behind (or the database was replaced): reload the board, announce nothing old.
    this.queue = [];
    this.setAnnounced(id);
    this.update();
  };

  // Announcements.

  Board.prototype.askForSound = function () {
    var self = this, overlay = $("unlock");
    if (!overlay) return;
    overlay.hidden = false;
    overlay.addEventListener("click", function () {
      overlay.hidden = true;
      self.unlocked = true;
      self.audioContext(); // created inside the click, so the browser lets it play
      self.pump();
    });
  };

  Board.prototype.pump = function () {
    var self = this;
    if (this.speaking || !this.unlocked) return;
    while (this.queue.length) {
      var item = this.queue.shift();
      if (this.announced !== null && item.id <= this.announced) continue;
      // Recorded before speaking: a reload in the middle of it must not say it again.
      this.setAnnounced(item.id);
      if (item.silent) continue;
      this.speaking = true;
      this.chime();
      setTimeout(function () {
        self.say(item.text, function () {
          setTimeout(function () {
            self.speaking = false;
            self.pump();
          }, PAUSE_MS);
        });
      }, CHIME_MS);
      return;
    }
  };

  Board.prototype.audioContext = function () {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!this.audio && Context) this.audio = new Context();
    if (this.audio && this.audio.state === "suspended" && this.audio.resume) this.audio.resume();
    return this.audio;
  };

  Board.prototype.chime = function () {
    try {
      var ctx = this.audioContext();
      if (!ctx) return;
      var start = ctx.currentTime + 0.05;
      [[784, 0], [587, 0.45]].forEach(function (tone) { // G5 then D5: "ding-dong"
        var osc = ctx.createOscillator(), gain = ctx.createGain(), at = start + tone[1];
        osc.type = "sine";
        osc.frequency.value = tone[0];
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.5, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.6);
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start(at);
        osc.stop(at + 0.65);
      });
    } catch (e) { /* no sound device: the call is still shown and spoken */ }
  };

  Board.prototype.say = function (text, done) {
    var synth = window.speechSynthesis, finished = false, timer = null, self = this;
    function end() {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      self.utterance = null;
      done();
    }
    if (!synth || typeof window.SpeechSynthesisUtterance === "undefined") return end();
    var utterance = new window.SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
    utterance.rate = 0.9;
    var voices = synth.getVoices ? synth.getVoices() : [];
    for (var i = 0; i < voices.length; i++) {
      if (/^zh([-_]CN)?/i.test(voices[i].lang)) { utterance.voice = voices[i]; break; }
    }
    utterance.onend = end;
    utterance.onerror = end;
    this.utterance = utterance; // Chromium drops "end" for an utterance nobody references
    timer = setTimeout(end, 3000 + text.length * 400); // some engines never send "end"
    try { synth.speak(utterance); } catch (e) { end(); }
  };

  // Drawing.

  Board.prototype.row = function (number) {
    return this.root.querySelector('tr[data-window="' + number + '"]');
  };

  Board.prototype.drawWindow = function (number) {
    var w = this.windows[number], tbody = $("board-windows");
    if (!w || !tbody) return;
    var row = this.row(number);
    if (!row) {
      row = make("tr");
      row.setAttribute("data-window", String(number));
      var head = make("th", "win");
      head.setAttribute("scope", "row");
      row.appendChild(head);
      row.appendChild(make("td", "num"));
      row.appendChild(make("td", "st"));
    }
    var flashing = row.classList.contains("flash");
    row.className = "state-" + w.state + (w.ticket_status ? " ticket-" + w.ticket_status : "") + (flashing ? " flash" : "");
    setText(row.querySelector(".win"), w.number + "号窗口");
    setText(row.querySelector(".num"), w.ticket || "—");
    setText(row.querySelector(".st"), statusText(w));
    return row;
  };

  Board.prototype.leaveWindows = function (ticket) {
    for (var n in this.windows) {
      if (this.windows[n].ticket === ticket) {
        this.windows[n].ticket = null;
        this.windows[n].ticket_status = null;
        this.drawWindow(n);
      }
    }
  };

  Board.prototype.drawPaused = function () {
    var list = $("board-paused");
    if (!list) return;
    list.textContent = "";
    var numbers = Object.keys(this.windows).map(Number).sort(function (a, b) { return a - b; });
    for (var i = 0; i < numbers.length; i++) {
      var w = this.windows[numbers[i]];
      if (w.state === "paused") list.appendChild(make("li", "", pausedText(w.number, w.reason)));
    }
  };

  Board.prototype.drawWaiting = function (waiting) {
    if (!waiting) return;
    for (var prefix in waiting) {
      var count = this.root.querySelector('#board-waiting li[data-prefix="' + prefix + '"] .count');
      setText(count, waiting[prefix]);
    }
  };

  Board.prototype.addCall = function (id, data) {
    var list = $("board-calls");
    if (!list || list.querySelector('li[data-id="' + id + '"]')) return;
    list.insertBefore(this.callItem(id, data.ticket, data.window), list.firstChild);
    while (list.children.length > MAX_CALLS) list.removeChild(list.lastChild);
  };

  Board.prototype.callItem = function (id, ticket, windowNumber) {
    var item = make("li");
    item.setAttribute("data-id", String(id));
    item.appendChild(make("b", "", ticket));
    item.appendChild(make("span", "", windowNumber + "号窗口"));
    return item;
  };

  Board.prototype.render = function (board) {
    var self = this, tbody = $("board-windows"), seen = {};
    board.windows.forEach(function (w) {
      seen[w.number] = true;
      self.windows[w.number] = {
        number: w.number, state: w.state, reason: w.reason, ticket: w.ticket, ticket_status: w.ticket_status
      };
      var row = self.drawWindow(w.number);
      if (row && tbody) tbody.appendChild(row); // in board order
    });
    Object.keys(this.windows).forEach(function (n) {
      if (!seen[n]) {
        var row = self.row(n);
        if (row) row.parentNode.removeChild(row);
        delete self.windows[n];
      }
    });
    var table = $("board-table");
    if (table) table.style.setProperty("--rows", String(Math.max(board.windows.length, 1)));
    this.drawPaused();

    var calls = $("board-calls");
    if (calls) {
      calls.textContent = "";
      board.calls.slice(0, MAX_CALLS).forEach(function (call) {
        calls.appendChild(self.callItem(call.id, call.ticket, call.window));
      });
    }
    var latest = $("board-latest");
    if (latest && !latest.classList.contains("flash")) {
      setText(latest, board.calls.length ? board.calls[0].text : "欢迎光临，请取号后留意叫号");
    }
    var waiting = $("board-waiting");
    if (waiting) {
      waiting.textContent = "";
      board.waiting.forEach(function (queue) {
        var item = make("li");
        item.setAttribute("data-prefix", queue.prefix);
        item.appendChild(make("span", "cat", queue.prefix + " " + queue.name));
        item.appendChild(make("b", "count", queue.count));
        item.appendChild(make("span", "unit", "人"));
        waiting.appendChild(item);
      });
    }
  };

  Board.prototype.tick = function () {
    var now = new Date(Date.now() + this.offset), clock = $("board-clock");
    if (!clock) return;
    // Shown in the hall's time zone, whatever the screen's own setting.
    var local = new Date(now.getTime() + (now.getTimezoneOffset() + 480) * 60000);
    function two(n) { return n < 10 ? "0" + n : String(n); }
    setText(clock, (local.getMonth() + 1) + "月" + local.getDate() + "日 星期" + WEEKDAYS.charAt(local.getDay()) +
      " " + two(local.getHours()) + ":" + two(local.getMinutes()) + ":" + two(local.getSeconds()));
  };

  // --- the scrolling strip ----------------------------------------------------------------------

  function Strip(box) {
    var data = $("strip-data");
    this.box = box;
    this.url = box.dataset.stripUrl;
    this.label = box.querySelector(".strip-label");
    this.text = box.querySelector(".strip-text");
    this.viewport = box.querySelector(".strip-viewport");
    this.entries = data ? JSON.parse(data.textContent) : [];
    this.index = 0;
    this.animation = null;
  }

  Strip.prototype.start = function () {
    var self = this;
    setInterval(function () {
      getJSON(self.url).then(function (data) { self.entries = data.entries; }, function () { /* keep the old ones */ });
    }, STRIP_REFRESH_MS);
    this.next();
  };

  Strip.prototype.next = function () {
    var self = this;
    if (!this.entries.length) {
      setText(this.text, "");
      setTimeout(function () { self.next(); }, 60000);
      return;
    }
    var entry = this.entries[this.index % this.entries.length];
    this.index = (this.index + 1) % this.entries.length;
    setText(this.label, entry.label);
    setText(this.text, entry.text);
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (still || !this.text.animate) {
      setTimeout(function () { self.next(); }, 12000);
      return;
    }
    var from = this.viewport.clientWidth, to = -this.text.scrollWidth;
    var speed = Math.max(80, from / 9); // pixels per second: about 9 s to cross the screen
    if (this.animation) this.animation.cancel();
    this.animation = this.text.animate(
      [{ transform: "translateX(" + from + "px)" }, { transform: "translateX(" + to + "px)" }],
      { duration: ((from - to) / speed) * 1000, easing: "linear" }
    );
    this.animation.onfinish = function () { self.next(); };
  };

  function main() {
    var board = $("board"), strip = $("strip");
    if (board) {
      window.qgtBoard = new Board(board);
      window.qgtBoard.start();
    }
    if (strip) new Strip(strip).start();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
  else main();
})();
