package kernels

import "testing"

func TestCPUModelFields(t *testing.T) {
	for _, c := range []struct{ info, want string }{
		{"processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\n\nprocessor\t: 1\nmodel name\t: other\n", "AMD EPYC (family 26, model 2)"},
		{"processor\t: 0\ncpu family\t: 6\nmodel\t\t: 143\nmodel name\t: Intel(R) Xeon(R) Processor\nstepping\t: 8\n", "Intel(R) Xeon(R) Processor (family 6, model 143)"},
		{"processor\t: 0\nmodel name\t: Some CPU\n", "Some CPU"},
		{"", ""},
	} {
		if got := cpuModel(c.info); got != c.want {
			t.Errorf("cpuModel(%q) = %q, want %q", c.info, got, c.want)
		}
	}
	t.Logf("this machine: %q", CPUModel())
}
