"""Finding the heater's serial port: ``--port``, ``STONEHEAT_PORT``, or the one USB serial
bridge of a kind ESP32 boards carry."""

from serial.tools import list_ports

# USB VID:PID of the serial bridges on ESP32 boards, and the ESP32-S2/S3's own USB.
HEATER_USB_IDS = {
    (0x10C4, 0xEA60): "CP210x",
    (0x1A86, 0x7523): "CH340",
    (0x1A86, 0x55D4): "CH9102",
    (0x0403, 0x6001): "FTDI FT232R",
    (0x303A, 0x1001): "ESP32 native USB",
}


class PortError(Exception):
    """No port given and none (or more than one) found."""


def describe(port):
    """A dict for ``stoneheat ports``: the path, what it is, and whether it may be a heater."""
    key = (port.vid, port.pid)
    return {
        "port": port.device,
        "description": port.description if port.description != "n/a" else None,
        "usb_id": None if port.vid is None else "%04X:%04X" % key,
        "serial_number": port.serial_number,
        "bridge": HEATER_USB_IDS.get(key),
        "heater": key in HEATER_USB_IDS,
    }


def all_ports(comports=list_ports.comports):
    return [describe(p) for p in sorted(comports(), key=lambda p: p.device)]


def find_heater_port(comports=list_ports.comports):
    """The one port whose USB id is a heater's; ``PortError`` saying what to do otherwise."""
    found = [p for p in all_ports(comports) if p["heater"]]
    if len(found) == 1:
        return found[0]["port"]
    if not found:
        raise PortError("no heater found on USB. Plug in the heater's USB cable and switch it "
                        "on, or name the port with --port (see `stoneheat ports`).")
    raise PortError("%d possible heaters found (%s); choose one with --port or STONEHEAT_PORT."
                    % (len(found), ", ".join(p["port"] for p in found)))
