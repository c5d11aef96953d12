-- Licensed under the Apache License, Version 2.0.
-- wrk script for the endpoints.
--   login:   every request POSTs the same form body (WRK_BODY)
--   refresh: every request spends one refresh token and queues the one it
--            gets back. Each thread takes its own share of the tokens in
--            WRK_TOKENS (a file, one per line), so that no two connections
--            ever present the same token (that would be reuse, and revoke
--            the family).
local nthreads = 0

function setup(thread)
   nthreads = nthreads + 1
   thread:set("index", nthreads)
end

local mode, body, tokens, last, url_path
function init(args)
   mode = args[1]
   url_path = wrk.path
   if mode == "login" then
      body = os.getenv("WRK_BODY")
   else
      -- this thread's share: every n-th token, offset by its index
      tokens = {}
      local n = tonumber(os.getenv("WRK_THREADS"))
      local i = 0
      for line in io.lines(os.getenv("WRK_TOKENS")) do
         if #line > 0 then
            if i % n == index - 1 then tokens[#tokens + 1] = line end
            i = i + 1
         end
      end
   end
end

local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function request()
   if mode == "login" then
      return wrk.format("POST", url_path, form, body)
   end
   local t = table.remove(tokens, 1) or last
   last = t
   return wrk.format("POST", url_path, form, "refresh_token=" .. t)
end

function response(status, headers, resp)
   if mode == "refresh" and status == 200 then
      local t = string.match(resp, '"refresh_token":"([^"]+)"')
      if t then tokens[#tokens + 1] = t end
   end
end

-- the summary line, as wrk-get.lua writes it
dofile(os.getenv("WRK_SUMMARY"))
