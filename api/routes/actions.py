"""The Rasa action endpoint, served by the application itself: Rasa (on loopback) posts each action call here
and the actions run over the same knowledge the rest of the application serves.

Only loopback clients may call it: it is Rasa's private door, not part of the public API.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from api.deps import ActionsDep, LoaderDep
from api.middleware import LOOPBACK

router = APIRouter(include_in_schema=False)


@router.post("/webhook")
async def run_action(request: Request, executor: ActionsDep, loader: LoaderDep) -> JSONResponse:
    """Run one action call of Rasa's action server protocol and return its events and responses."""
    if request.client is None or request.client.host not in LOOPBACK:
        return JSONResponse({"error": "the action endpoint only serves the local Rasa server"}, status_code=403)
    if loader.current() is None:
        return JSONResponse({"error": "the knowledge base is still loading"}, status_code=503)
    try:
        call = await request.json()
    except ValueError:
        return JSONResponse({"error": "the body is not JSON"}, status_code=400)
    if not isinstance(call, dict):
        return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
    try:
        result = await executor.run(call)
    except ActionExecutionRejection as exc:
        # a form that could not fill its slot: Rasa then lets its policies choose another action
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
    except ActionNotFoundException as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
    return JSONResponse(result or {"events": [], "responses": []})
