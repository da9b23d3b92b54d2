"""A call id goes into a ClawOps URL only if it has the documented shape ("CA" and letters,
digits, "-" or "_"; contract §2, §7): anything else — a slash, dots, a percent sign, a query
— is refused before any request leaves (integrations/outbound/clawops.py)."""

import httpx
import pytest
import respx

from integrations.outbound import clawops
from integrations.outbound.http import OutboundError
from tests.clawops_api import API


@pytest.mark.parametrize("call_id", ["CA/../../accounts/AC2/calls", "CA1?x=1", "CA1#x",
                                     "CA%2F..", "../CA1", "MG1", "CA", "CA 1", "CA1\n",
                                     "CA" + "a" * 63, "ＣＡ1"])
@pytest.mark.parametrize("read", [clawops.get_transcript, clawops.get_summary])
def test_it_refuses_an_id_of_another_shape_before_any_request(read, call_id):
    with respx.mock(assert_all_called=False) as router:
        route = router.route(host="api.clawops.test").mock(return_value=httpx.Response(200))
        with pytest.raises(OutboundError) as refused:
            read(call_id)

    assert refused.value.permanent
    assert "not a ClawOps call id" in str(refused.value)
    assert not route.called


@respx.mock
def test_it_reads_an_id_of_the_documented_shape():
    route = respx.get(f"{API}/calls/CA7e1f2a-_x/transcript").mock(
        return_value=httpx.Response(503, json={"error": "busy"}))
    with pytest.raises(OutboundError) as answered:
        clawops.get_transcript("CA7e1f2a-_x")
    assert route.called  # it went out; the answer is the receiver's
    assert not answered.value.permanent
