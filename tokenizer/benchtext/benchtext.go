// Package benchtext generates the deterministic multilingual text used to measure tokenizer
// throughput (Go benchmark and scripts/bench-tokenizer), so every engine sees the same bytes.
package benchtext

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Word pools per script, written for this benchmark. Mixing them at random gives the pre-token
// length distribution and cache behaviour of real multilingual text without shipping a corpus.
var pools = [][]string{
	strings.Fields("the of and to in is was for that with as on by it from this be are at or an were which has his have had not but one their they all also its been more can other new first after into used than two only some when most time many would were people between about these over where such there being world during through while however"),
	strings.Fields("der die und das ist nicht mit für auf den dem ein eine Straße Größe über schön Mädchen müssen würde Erklärung Verantwortung Bundesländer Geschwindigkeitsbegrenzung"),
	strings.Fields("le la les des est une dans pour pas qui sur avec été très déjà où français élève journée aujourd'hui qu'il l'été c'est n'est"),
	strings.Fields("el la los de que en un por con una para está niño años también además según través situación información"),
	strings.Fields("и в не на что с как это по но из у за от так же все она был его мы они когда только Москва государство"),
	strings.Fields("的 是 在 了 不 和 有 大 这 主 中 人 上 为 们 地 个 用 工 时 要 动 国 产 以 我 到 他 会 作 来 分 生 对 于 学 下 级 就 年 阶 义 发 成 部 民 可 出 能 方 进 同 行 面 说 种 过 命 度 革 而 多 子 后 自 社 加 小 机 也 经 力 线 本 电 高 量 长 党 得 实 家 定"),
	strings.Fields("日本語 東京 ひらがな カタカナ です ます した という ない こと これ それ あの 人工知能 研究 開発 データ"),
	strings.Fields("한국어 안녕하세요 감사합니다 서울 대한민국 사람 시간 오늘 내일 학교 컴퓨터"),
	strings.Fields("नमस्ते भारत हिन्दी भाषा है और के में की से को एक यह था लिए"),
	strings.Fields("مرحبا العربية في من على إلى أن هذا التي الذي كان عن مع"),
	strings.Fields("สวัสดี ภาษาไทย ประเทศ คน วันนี้ อากาศ ดี มาก ครับ ค่ะ"),
	strings.Fields("Γειά σου κόσμε Ελληνικά και το της να είναι"),
	strings.Fields("func return if else for range := nil err != fmt.Println(x) x[i] += 1; {} () => const let var def self.x import"),
	strings.Fields("😀 👍 🦙 ❤️ 🇩🇪 👩🏽‍💻 ✅ 🚀"),
}

var punct = []string{".", ",", "!", "?", ":", ";", " -", " (", ")", "\"", "'s", "n't", "..."}

// Generate returns about size bytes of text (cut at a whitespace boundary) from seed.
func Generate(size int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	var b strings.Builder
	b.Grow(size + 256)
	for b.Len() < size {
		// A paragraph: mostly one script, occasionally switching, like real multilingual data.
		pool := pools[rng.IntN(len(pools))]
		sentences := 1 + rng.IntN(6)
		for s := 0; s < sentences; s++ {
			words := 3 + rng.IntN(18)
			for w := 0; w < words; w++ {
				if w > 0 {
					b.WriteByte(' ')
				}
				p := pool
				if rng.IntN(12) == 0 {
					p = pools[rng.IntN(len(pools))]
				}
				word := p[rng.IntN(len(p))]
				if w == 0 && rng.IntN(2) == 0 {
					r, n := utf8.DecodeRuneInString(word)
					word = string(unicode.ToUpper(r)) + word[n:]
				}
				b.WriteString(word)
				switch r := rng.IntN(20); {
				case r == 0:
					b.WriteString(punct[rng.IntN(len(punct))])
				case r == 1:
					b.WriteByte(' ')
					b.WriteString(strconv.Itoa(rng.IntN(1000000)))
				}
			}
			b.WriteString(punct[rng.IntN(4)])
			b.WriteByte(' ')
		}
		switch rng.IntN(8) {
		case 0:
			b.WriteString("\n\n    ")
		case 1:
			b.WriteString("\r\n")
		default:
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// Chunks splits text into documents at paragraph breaks of at most about max bytes, the unit
// every engine encodes in the throughput comparison.
func Chunks(text string, max int) []string {
	var out []string
	for len(text) > 0 {
		if len(text) <= max {
			out = append(out, text)
			break
		}
		cut := strings.LastIndex(text[:max], "\n\n")
		if cut <= 0 {
			cut = max
			for cut < len(text) && text[cut]&0xC0 == 0x80 { // keep UTF-8 intact
				cut++
			}
		} else {
			cut += 2
		}
		out = append(out, text[:cut])
		text = text[cut:]
	}
	return out
}
