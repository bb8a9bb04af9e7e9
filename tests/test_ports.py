"""Finding the heater's port by the USB id of its serial bridge."""

import pytest
from serial.tools.list_ports_common import ListPortInfo

from stoneheat.ports import HEATER_USB_IDS, PortError, all_ports, find_heater_port


def _port(device, vid=None, pid=None, description="n/a"):
    p = ListPortInfo(device, skip_link_detection=True)
    p.vid, p.pid, p.description = vid, pid, description
    return p


@pytest.mark.parametrize("vid, pid", sorted(HEATER_USB_IDS))
def test_each_bridge_of_an_esp32_board_is_found(vid, pid):
    ports = [_port("/dev/ttyS0"), _port("/dev/ttyUSB3", vid, pid), _port("/dev/ttyACM0", 0x2341, 0x0043)]
    assert find_heater_port(lambda: ports) == "/dev/ttyUSB3"


def test_the_required_ids_are_all_there():
    assert {"10C4:EA60", "1A86:7523", "1A86:55D4", "0403:6001", "303A:1001"} == {
        "%04X:%04X" % k for k in HEATER_USB_IDS}


def test_no_heater_says_what_to_do():
    with pytest.raises(PortError, match="Plug in"):
        find_heater_port(lambda: [_port("/dev/ttyS0"), _port("/dev/ttyACM0", 0x2341, 0x0043)])


def test_two_heaters_ask_which_one():
    ports = [_port("/dev/ttyUSB0", 0x10C4, 0xEA60), _port("/dev/ttyUSB1", 0x1A86, 0x7523)]
    with pytest.raises(PortError, match="--port") as e:
        find_heater_port(lambda: ports)
    assert "/dev/ttyUSB0" in str(e.value) and "/dev/ttyUSB1" in str(e.value)


def test_listing_marks_the_likely_heater():
    listed = all_ports(lambda: [_port("/dev/ttyUSB0", 0x303A, 0x1001, "USB JTAG/serial debug unit"),
                                _port("/dev/ttyS0")])
    assert listed[0] == {"port": "/dev/ttyS0", "description": None, "usb_id": None,
                         "serial_number": None, "bridge": None, "heater": False}
    assert listed[1]["heater"] and listed[1]["usb_id"] == "303A:1001"
    assert listed[1]["bridge"] == "ESP32 native USB"
