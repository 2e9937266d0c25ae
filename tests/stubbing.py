"""botocore's Stubber scoped to named operations: only those are answered from the stub queue,
every other call of the same client still reaches the moto server over HTTP."""
from __future__ import annotations

from botocore.stub import Stubber


class PartialStubber(Stubber):
    def __init__(self, client, operations: tuple[str, ...]):
        super().__init__(client)
        self.operations = operations
        self.service = client.meta.service_model.endpoint_prefix

    def _events(self):
        for op in self.operations:
            yield (f"before-parameter-build.{self.service}.{op}", self._assert_expected_params,
                   f"{self._expected_params_event_id}-{op}", True)
            yield (f"before-call.{self.service}.{op}", self._get_response_handler, f"{self._event_id}-{op}", False)

    def activate(self):
        for event, handler, uid, first in self._events():
            register = self.client.meta.events.register_first if first else self.client.meta.events.register
            register(event, handler, unique_id=uid)

    def deactivate(self):
        for event, handler, uid, _ in self._events():
            self.client.meta.events.unregister(event, handler, unique_id=uid)
