-- Argo CD health of a VexfsSemantic, from the conditions the operator writes.
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

local function explain(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason
end

local hs = {}
local generation = obj.metadata.generation or 0
if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Deleting"
  return hs
end
if obj.status == nil or obj.status.observedGeneration == nil
    or obj.status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end

local stalled = condition(obj, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = explain(stalled)
  return hs
end
local circuit = condition(obj, "RecoveryCircuitOpen")
if circuit ~= nil and circuit.status == "True" then
  hs.status = "Degraded"
  hs.message = explain(circuit)
  return hs
end
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true; children are not changed"
  return hs
end

local ready = condition(obj, "Ready")
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end
if ready.status ~= "True" then
  hs.status = "Progressing"
  hs.message = explain(ready)
  return hs
end
local backups = condition(obj, "BackupHealthy")
if backups ~= nil and backups.status == "False" then
  hs.status = "Degraded"
  hs.message = explain(backups)
  return hs
end
if ready.reason == "Stopped" then
  hs.status = "Suspended"
  hs.message = "spec.stopped scaled the engine to zero"
  return hs
end
hs.status = "Healthy"
hs.message = explain(ready)
return hs
