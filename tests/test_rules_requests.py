"""An environment's CPU requests against the catalogs' (shipyard/rules/requests.py), pure."""

from __future__ import annotations

import pytest

from shipyard.catalog.services import Resources, cpu_millis
from shipyard.rules.requests import same_threshold, scaled_cpu, sized
from tests.support.settings import stack_settings


@pytest.mark.parametrize("catalog,scale,floor,expected", [
    (250, 1.0, 25, 250),     # nothing scaled: the catalog's, floor or not
    (10, 1.0, 25, 10),
    (250, 0.25, 25, 63),     # a quarter, rounded up to a whole millicore
    (200, 0.25, 25, 50),
    (100, 0.25, 25, 25),
    (50, 0.25, 25, 25),      # the floor
    (20, 0.25, 25, 20),      # never more than the catalog asks
    (1000, 0.1, 1, 100),
])
def test_a_scaled_request(catalog, scale, floor, expected):
    assert scaled_cpu(catalog, scale, floor) == expected


def test_an_autoscaler_crosses_its_target_at_the_same_cpu_per_pod():
    # code-learn's services: 250m and a 50m sidecar at 70 % -> 210m a pod; 63m + 50m now
    assert same_threshold(70, 300, 113) == 186
    assert round(186 * 113 / 100) == 210
    # a quarter of the request without a sidecar: four times the percentage
    assert same_threshold(70, 100, 25) == 280
    assert same_threshold(70, 300, 300) == 70
    assert same_threshold(1, 1000, 10) == 100
    assert same_threshold(1, 10, 1000) == 1      # never below 1 %


def test_sizing_a_service_changes_its_cpu_request_only():
    (app,) = [a for a in stack_settings("staging").applications if a.name == "code-learn"]
    svc = app.services["post-service"]
    small = sized(svc, 0.25, 25)
    assert cpu_millis(small.resources.requests.cpu) == scaled_cpu(
        cpu_millis(svc.resources.requests.cpu), 0.25, 25) < cpu_millis(
        svc.resources.requests.cpu)
    assert small.resources.limits == svc.resources.limits
    assert small.resources.requests.memory == svc.resources.requests.memory
    assert small.model_dump(exclude={"resources"}) == svc.model_dump(exclude={"resources"})
    Resources.model_validate(small.resources.model_dump())   # still requests <= limits
    assert sized(svc, 1.0, 25) is svc
