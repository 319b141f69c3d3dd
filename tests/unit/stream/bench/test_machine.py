from stream.bench.machine import describe, machine


def test_cpu_model_and_the_instruction_sets_that_change_the_ratios(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n"
        "flags\t\t: fpu sse2 avx2 avx512f avx512_vnni amx_int8\n"
        "processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: fpu\n"
    )
    info = machine(cpuinfo)
    assert info["cpu"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert info["isa"] == ["AVX2", "AVX-512", "AVX-512 VNNI", "AMX-INT8"]
    assert describe(info).startswith("Intel(R) Xeon(R) Platinum 8480+ (")
    assert describe(info).endswith("AVX2, AVX-512, AVX-512 VNNI, AMX-INT8)")


def test_no_cpuinfo_still_names_something(tmp_path):
    info = machine(tmp_path / "missing")
    assert info["cpu"] and info["isa"] == []
    assert "no AVX2/AVX-512/VNNI reported" in describe(info)
