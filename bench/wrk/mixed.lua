-- The mixed workload of `tarello-bench mixed` (see bench/README.md).
--
--   wrk -t N -c N -d 20s --latency -s bench/wrk/mixed.lua http://127.0.0.1:PORT -- DATA.lua
--
-- DATA.lua is written by the Rust side: workspaces with their slugs,
-- workspace tokens (writers: admin and members; readers: the observer too),
-- boards with their lists, cards (id, board index, current version, one
-- of its tags or nil) and tags.
--
-- Run with as many threads as connections: each thread then has exactly one
-- request in flight, so `response` always answers the last `request` and the
-- thread can keep card versions and tag states exactly. Moves and tag
-- changes touch only the cards a thread owns (card number % threads ==
-- thread number), so no two connections race on one card's version; a 409
-- (version changed anyway, e.g. by a tag change bumping it) marks the card
-- stale and its next move is preceded by a GET of the card ("refresh") that
-- reads the version from its ETag.
--
-- Mix per request (out of 200): 80 GET board, 40 GET card (with its first
-- comments), 30 POST comment, 20 POST card (at the end of a random list),
-- 20 PATCH card (move to the end of a random list of its board), 10 tag
-- changes: half the time (when the thread has tagged cards) a DELETE of
-- the tag of one of its tagged cards, else a random owned card: PUT of a
-- random tag when it has none, DELETE of its tag when it has one.

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("tid", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

local data
local nthreads
local owned = {}
-- The owned cards that carry a bench tag (each knows its index here).
local tagged = {}
local last = nil
local seq = 0

-- Per-kind counters. `done` reads them through thread:get as the string
-- `tally` (the Debian wrk 4.1.0 crashes copying a table between threads).
local counts = {}
local statuses = {}
tally = ""

local function retally()
   local out = {}
   for kind, c in pairs(counts) do
      table.insert(out, string.format("k %s %d %d %d", kind, c.n, c.bad, c.conflict))
   end
   for key, n in pairs(statuses) do
      table.insert(out, string.format("s %s %d", key, n))
   end
   tally = table.concat(out, "\n")
end

local function count(kind, field)
   local c = counts[kind]
   if c == nil then
      c = { n = 0, bad = 0, conflict = 0 }
      counts[kind] = c
   end
   c[field] = c[field] + 1
end

local function mark_tagged(own, tag)
   own.tag = tag
   if not own.ti then
      table.insert(tagged, own)
      own.ti = #tagged
   end
end

local function mark_untagged(own)
   own.tag = nil
   local i = own.ti
   if i then
      local top = tagged[#tagged]
      tagged[i] = top
      top.ti = i
      tagged[#tagged] = nil
      own.ti = nil
   end
end

function init(args)
   data = dofile(args[1])
   nthreads = tonumber(args[2]) or 1
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
   local g = 0
   for w, ws in ipairs(data.ws) do
      for ci, card in ipairs(ws.cards) do
         if g % nthreads == (tid or 0) then
            local own = { w = w, ci = ci, version = card[3] or 1, stale = false }
            table.insert(owned, own)
            if card[4] then
               mark_tagged(own, card[4])
            end
         end
         g = g + 1
      end
   end
end

local function pick(t)
   return t[math.random(#t)]
end

local function headers(token, body)
   local h = { ["Authorization"] = "Bearer " .. token }
   if body then
      h["Content-Type"] = "application/json"
   end
   return h
end

local function base(ws)
   return "/api/v1/workspaces/" .. ws.slug
end

local function reader(ws)
   local i = math.random(#ws.rw + #ws.ro)
   if i <= #ws.rw then
      return ws.rw[i]
   end
   return ws.ro[i - #ws.rw]
end

local function get_card(kind, ws, card_id, own)
   last = { kind = kind, own = own }
   return wrk.format("GET", base(ws) .. "/cards/" .. card_id, headers(reader(ws)))
end

function request()
   seq = seq + 1
   local r = math.random(200)
   local ws = pick(data.ws)
   if r <= 80 then
      local board = pick(ws.boards)
      last = { kind = "board" }
      return wrk.format("GET", base(ws) .. "/boards/" .. board.id, headers(reader(ws)))
   elseif r <= 120 then
      return get_card("card", ws, pick(ws.cards)[1], nil)
   elseif r <= 150 then
      local card = pick(ws.cards)
      local body = '{"body":"bench comment ' .. (tid or 0) .. "-" .. seq .. '"}'
      last = { kind = "comment" }
      return wrk.format("POST", base(ws) .. "/cards/" .. card[1] .. "/comments",
         headers(pick(ws.rw), true), body)
   elseif r <= 170 or #owned == 0 then
      local board = pick(ws.boards)
      local body = '{"title":"bench card ' .. (tid or 0) .. "-" .. seq
         .. '","description":"added by the mixed bench"}'
      last = { kind = "newcard" }
      return wrk.format("POST", base(ws) .. "/lists/" .. pick(board.lists) .. "/cards",
         headers(pick(ws.rw), true), body)
   end
   local own = pick(owned)
   if r > 190 and #tagged > 0 and math.random(2) == 1 then
      own = pick(tagged)
   end
   ws = data.ws[own.w]
   local card = ws.cards[own.ci]
   if r <= 190 then
      if own.stale then
         return get_card("refresh", ws, card[1], own)
      end
      local list = pick(ws.boards[card[2]].lists)
      local body = '{"version":' .. own.version .. ',"list_id":"' .. list .. '"}'
      last = { kind = "move", own = own }
      return wrk.format("PATCH", base(ws) .. "/cards/" .. card[1], headers(pick(ws.rw), true), body)
   end
   local path = base(ws) .. "/cards/" .. card[1] .. "/tags/"
   if own.tag then
      last = { kind = "tag_del", own = own }
      return wrk.format("DELETE", path .. own.tag, headers(pick(ws.rw)))
   end
   local tag = pick(ws.tags)
   last = { kind = "tag_add", own = own, tag = tag }
   return wrk.format("PUT", path .. tag, headers(pick(ws.rw)))
end

local function etag_version(hdrs)
   local v = hdrs["etag"] or hdrs["ETag"] or hdrs["Etag"]
   if v then
      return tonumber(string.match(v, "%d+"))
   end
   return nil
end

function response(status, hdrs, body)
   local l = last
   if l == nil then
      return
   end
   last = nil
   count(l.kind, "n")
   local ok = status >= 200 and status < 300
   if not ok then
      count(l.kind, "bad")
      local key = l.kind .. "_" .. status
      statuses[key] = (statuses[key] or 0) + 1
   end
   local own = l.own
   if l.kind == "move" then
      if ok then
         own.version = etag_version(hdrs) or (own.version + 1)
      elseif status == 409 then
         count(l.kind, "conflict")
         own.stale = true
      end
   elseif l.kind == "refresh" then
      if ok then
         local v = etag_version(hdrs)
         if v then
            own.version = v
            own.stale = false
         end
      end
   elseif l.kind == "tag_add" then
      if ok then
         mark_tagged(own, l.tag)
      end
   elseif l.kind == "tag_del" then
      if ok or status == 404 then
         mark_untagged(own)
      end
   end
   retally()
end

function done(summary, latency, requests)
   local kinds = {}
   local sts = {}
   for _, thread in ipairs(threads) do
      local t = thread:get("tally") or ""
      for line in string.gmatch(t, "[^\n]+") do
         local kind, n, bad, conflict = string.match(line, "^k (%S+) (%d+) (%d+) (%d+)$")
         if kind then
            local k = kinds[kind]
            if k == nil then
               k = { n = 0, bad = 0, conflict = 0 }
               kinds[kind] = k
            end
            k.n = k.n + tonumber(n)
            k.bad = k.bad + tonumber(bad)
            k.conflict = k.conflict + tonumber(conflict)
         else
            local key, c = string.match(line, "^s (%S+) (%d+)$")
            if key then
               sts[key] = (sts[key] or 0) + tonumber(c)
            end
         end
      end
   end
   local parts = {}
   for kind, k in pairs(kinds) do
      table.insert(parts, string.format('"%s":{"n":%d,"bad":%d,"conflict":%d}',
         kind, k.n, k.bad, k.conflict))
   end
   local sparts = {}
   for key, n in pairs(sts) do
      table.insert(sparts, string.format('"%s":%d', key, n))
   end
   local e = summary.errors
   io.write(string.format(
      'MIXED_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"mean_us":%.0f,"max_us":%.0f,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"kinds":{%s},"statuses":{%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max,
      e.connect, e.read, e.write, e.status, e.timeout,
      table.concat(parts, ","), table.concat(sparts, ",")))
end
