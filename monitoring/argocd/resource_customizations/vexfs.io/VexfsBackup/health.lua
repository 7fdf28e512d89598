-- Argo CD health of a VexfsBackup: its Ready and Failed conditions for the generation the
-- operator observed, or its phase when the operator writes no conditions.
-- Uses only the base and table libraries, so it also runs without useOpenLibs.
local function condition(obj, type)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function explain(reason, message)
  if message ~= nil and message ~= "" then
    if reason ~= nil and reason ~= "" then
      return reason .. ": " .. message
    end
    return message
  end
  return reason or ""
end

local hs = {}
local generation = obj.metadata.generation or 0
if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to start the backup"
  return hs
end
if obj.status.observedGeneration ~= nil and obj.status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end

local failed = condition(obj, "Failed")
local ready = condition(obj, "Ready")
if failed ~= nil and failed.status == "True" then
  hs.status = "Degraded"
  hs.message = explain(failed.reason, failed.message)
  return hs
end
if ready ~= nil then
  if ready.status == "True" then
    hs.status = "Healthy"
  else
    hs.status = "Progressing"
  end
  hs.message = explain(ready.reason, ready.message)
  return hs
end

local phase = obj.status.phase
if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = explain("Succeeded", obj.status.location)
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = explain("Failed", obj.status.message)
else
  hs.status = "Progressing"
  hs.message = explain(phase or "Pending", obj.status.message)
end
return hs
