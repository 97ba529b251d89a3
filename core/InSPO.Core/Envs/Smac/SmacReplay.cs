using System.Globalization;
using System.Text;
using InSPO.Actors;

namespace InSPO.Envs.Smac;

/// <summary>
/// Records a SMAC-lite episode (unit positions, health, shields and shots per step) and writes it as
/// one self-contained HTML page (inline script and data, no network) that animates the battle.
/// Usage: <c>var r = new SmacReplay(env)</c> right after <c>env.Reset</c>, <c>r.Capture()</c> after every
/// <c>env.Step</c>, then <c>r.WriteHtml(path)</c>; or <see cref="Record(SmacEnv, ISmacPolicy, int)"/> for a scripted policy.
/// </summary>
public sealed class SmacReplay
{
    private readonly SmacEnv _env;
    private readonly List<double[]> _frames = new(); // per frame: per unit x, y, health, shield
    private readonly List<float> _rewards = new();
    private readonly List<List<(int A, int T)>> _shots = new();
    private int _logged;

    /// <summary>Starts a replay of the episode <paramref name="env"/> has just been reset to (frame 0).</summary>
    public SmacReplay(SmacEnv env)
    {
        _env = env;
        env.Sim.AttackLog ??= new List<AttackEvent>();
        env.Sim.AttackLog.Clear();
        _logged = 0;
        Snapshot(0);
    }

    /// <summary>Steps recorded so far.</summary>
    public int Steps => _frames.Count - 1;

    /// <summary>Records the state after a step (call once after every <see cref="SmacEnv.Step"/>).</summary>
    public void Capture(float reward = 0)
    {
        Snapshot(reward);
    }

    private void Snapshot(float reward)
    {
        var units = _env.Sim.Units;
        var f = new double[units.Length * 4];
        for (int i = 0; i < units.Length; i++)
        {
            f[4 * i] = units[i].X; f[4 * i + 1] = units[i].Y; f[4 * i + 2] = units[i].Health; f[4 * i + 3] = units[i].Shield;
        }
        _frames.Add(f);
        _rewards.Add(reward);
        var log = _env.Sim.AttackLog!;
        var shots = new List<(int, int)>();
        for (; _logged < log.Count; _logged++) shots.Add((log[_logged].Attacker, log[_logged].Target));
        _shots.Add(shots);
    }

    /// <summary>Plays one episode of <paramref name="policy"/> with <paramref name="seed"/> (through the rollout loop,
    /// seeded as <c>smac scores</c> seeds its episodes) and records it.</summary>
    public static SmacReplay Record(SmacEnv env, ISmacPolicy policy, int seed) =>
        Record(env, new ScriptedSmacActor(policy, 1, _ => seed), seed);

    /// <summary>Plays one episode of any actor (a scripted policy, a learner's policy through a <see cref="PolicyActor"/>)
    /// with the environment seed <paramref name="seed"/> and records it; actions as <paramref name="choice"/> picks them.</summary>
    public static SmacReplay Record(SmacEnv env, IActor actor, int seed, ActionChoice choice = ActionChoice.Greedy)
    {
        var recorder = new Recorder(env);
        Rollout.Run(new VectorEnv([env], threads: 1), actor,
            new RolloutOptions { Episodes = 1, Seed = seed, Choice = choice, EnvironmentSeed = _ => seed }, recorder);
        return recorder.Replay!;
    }

    /// <summary>Starts the replay at the first step (after the rollout's reset) and captures a frame after every step.</summary>
    sealed class Recorder(SmacEnv env) : IRolloutObserver
    {
        public SmacReplay? Replay { get; private set; }

        public void Acting(ActorInput input, ReadOnlySpan<float> probabilities, ReadOnlySpan<int> actions) => Replay ??= new SmacReplay(env);

        public void Stepped(IVectorEnv vector, ReadOnlySpan<StepOutcome> outcomes, IReadOnlyList<EpisodeSummary> ended) => Replay!.Capture(outcomes[0].Reward);
    }

    /// <summary>Writes the page to <paramref name="path"/>.</summary>
    public void WriteHtml(string path, string? title = null) => File.WriteAllText(path, ToHtml(title), new UTF8Encoding(false));

    /// <summary>The self-contained HTML page.</summary>
    public string ToHtml(string? title = null)
    {
        var map = _env.Map;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        string Num(double v) => Math.Round(v, 3).ToString("R", inv);
        sb.Append("{\"map\":\"").Append(Escape(map.Name)).Append("\",\"w\":").Append(map.Width).Append(",\"h\":").Append(map.Height);
        sb.Append(",\"won\":").Append(_env.BattleWon ? "true" : "false");
        sb.Append(",\"path\":\"");
        for (int y = 0; y < map.Height; y++) for (int x = 0; x < map.Width; x++) sb.Append(map.IsPathable(x, y) ? '1' : '0');
        sb.Append("\",\"units\":[");
        var units = _env.Sim.Units;
        for (int i = 0; i < units.Length; i++)
        {
            var t = units[i].Type;
            if (i > 0) sb.Append(',');
            sb.Append("{\"type\":\"").Append(t.Name).Append("\",\"team\":").Append(units[i].Team)
              .Append(",\"r\":").Append(Num(t.Radius)).Append(",\"hp\":").Append(Num(t.Health)).Append(",\"sh\":").Append(Num(t.Shield)).Append('}');
        }
        sb.Append("],\"frames\":[");
        for (int k = 0; k < _frames.Count; k++)
        {
            if (k > 0) sb.Append(',');
            sb.Append('[');
            for (int j = 0; j < _frames[k].Length; j++) { if (j > 0) sb.Append(','); sb.Append(Num(_frames[k][j])); }
            sb.Append(']');
        }
        sb.Append("],\"shots\":[");
        for (int k = 0; k < _shots.Count; k++)
        {
            if (k > 0) sb.Append(',');
            sb.Append('[');
            for (int j = 0; j < _shots[k].Count; j++) { if (j > 0) sb.Append(','); sb.Append('[').Append(_shots[k][j].A).Append(',').Append(_shots[k][j].T).Append(']'); }
            sb.Append(']');
        }
        sb.Append("],\"rewards\":[");
        for (int k = 0; k < _rewards.Count; k++) { if (k > 0) sb.Append(','); sb.Append(Num(_rewards[k])); }
        sb.Append("]}");
        string heading = Escape(title ?? $"SMAC-lite replay: {map.Name}");
        return Template.Replace("__TITLE__", heading).Replace("__DATA__", sb.ToString());
    }

    private static string Escape(string s) =>
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    private const string Template = """
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
body{font-family:system-ui,sans-serif;background:#1b1d22;color:#ddd;margin:16px}
canvas{background:#2a2d33;border:1px solid #444;display:block;margin-top:8px}
button,input{margin-right:8px}#info{margin-top:6px;font-family:monospace}
</style></head><body>
<h3>__TITLE__</h3>
<div><button id="play">Pause</button><input id="slider" type="range" min="0" value="0" style="width:420px">
<label>speed <select id="speed"><option>0.5</option><option selected>1</option><option>2</option><option>4</option></select></label></div>
<div id="info"></div>
<canvas id="c" width="704" height="704"></canvas>
<div style="margin-top:6px">Blue: agents, red: built-in AI. Bars: health (green) and shield (cyan). Lines: shots fired during the step.</div>
<script>
const D=__DATA__;
const cv=document.getElementById('c'),g=cv.getContext('2d'),S=cv.width/D.w;
const slider=document.getElementById('slider'),info=document.getElementById('info'),btn=document.getElementById('play');
slider.max=D.frames.length-1;
let t=0,playing=true,last=null;
const X=x=>x*S,Y=y=>cv.height-y*S;
function draw(){
  const k=Math.min(Math.floor(t),D.frames.length-1),k2=Math.min(k+1,D.frames.length-1),a=t-k;
  const F=D.frames[k],G=D.frames[k2];
  g.clearRect(0,0,cv.width,cv.height);
  for(let y=0;y<D.h;y++)for(let x=0;x<D.w;x++){g.fillStyle=D.path[y*D.w+x]==='1'?'#3a3f47':'#23252a';g.fillRect(X(x),Y(y+1),S-0.5,S-0.5);}
  const pos=i=>{const hp=G[4*i+2]>0;return[F[4*i]+(hp?a:0)*(G[4*i]-F[4*i]),F[4*i+1]+(hp?a:0)*(G[4*i+1]-F[4*i+1])];};
  const shots=D.shots[k2]||[];
  g.lineWidth=1.5;
  for(const [s,tg] of shots){const p=pos(s),q=pos(tg);g.strokeStyle=D.units[s].team===0?'rgba(120,180,255,0.8)':'rgba(255,120,120,0.8)';g.beginPath();g.moveTo(X(p[0]),Y(p[1]));g.lineTo(X(q[0]),Y(q[1]));g.stroke();}
  D.units.forEach((u,i)=>{
    const hp=F[4*i+2],sh=F[4*i+3];if(hp<=0)return;
    const [x,y]=pos(i),r=u.r*S;
    g.fillStyle=u.team===0?'#4a8fe0':'#d9534f';g.beginPath();g.arc(X(x),Y(y),r,0,2*Math.PI);g.fill();
    g.fillStyle='#fff';g.font=Math.max(9,r)+'px sans-serif';g.textAlign='center';g.textBaseline='middle';
    g.fillText(u.type[0].toUpperCase()+(u.team===0?i:i-D.units.filter(v=>v.team===0).length),X(x),Y(y));
    const w=2*r+6,bx=X(x)-w/2,by=Y(y)-r-8;
    g.fillStyle='#600';g.fillRect(bx,by,w,3);g.fillStyle='#3c3';g.fillRect(bx,by,w*hp/u.hp,3);
    if(u.sh>0){g.fillStyle='#044';g.fillRect(bx,by-4,w,3);g.fillStyle='#3cf';g.fillRect(bx,by-4,w*sh/u.sh,3);}
  });
  let ret=0;for(let j=0;j<=k;j++)ret+=D.rewards[j];
  const alive=team=>D.units.filter((u,i)=>u.team===team&&F[4*i+2]>0).length;
  info.textContent=`${D.map}  step ${k}/${D.frames.length-1}  agents alive ${alive(0)}  enemies alive ${alive(1)}  return ${ret.toFixed(2)}`+(k===D.frames.length-1?(D.won?'  WON':'  not won'):'');
  slider.value=k;
}
function tick(ts){
  if(last!==null&&playing){t+=(ts-last)/500*parseFloat(document.getElementById('speed').value);if(t>=D.frames.length-1){t=D.frames.length-1;playing=false;btn.textContent='Play';}}
  last=ts;draw();requestAnimationFrame(tick);
}
btn.onclick=()=>{if(!playing&&t>=D.frames.length-1)t=0;playing=!playing;btn.textContent=playing?'Pause':'Play';};
slider.oninput=()=>{t=+slider.value;playing=false;btn.textContent='Play';};
requestAnimationFrame(tick);
</script></body></html>
""";
}
