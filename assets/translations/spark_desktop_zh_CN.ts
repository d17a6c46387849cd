<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>ApprovalCard</name>
    <message>
        <source>Called {tool} {arguments}</source>
        <translation>调用了 {tool} {arguments}</translation>
    </message>
    <message>
        <source>&amp;Allow</source>
        <translation>允许(&amp;A)</translation>
    </message>
    <message>
        <source>Al&amp;ways allow</source>
        <translation>始终允许(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;Deny</source>
        <translation>拒绝(&amp;D)</translation>
    </message>
    <message>
        <source>Tool call waiting for approval</source>
        <translation>工具调用等待批准</translation>
    </message>
    <message>
        <source>The model wants to call the tool “{tool}”. Run it?</source>
        <translation>模型想调用工具“{tool}”。要运行吗？</translation>
    </message>
</context>
<context>
    <name>AttachmentBar</name>
    <message>
        <source>Collection: %1</source>
        <translation>资料集：%1</translation>
    </message>
    <message>
        <source>Collection %1 — click to stop searching it in this chat</source>
        <translation>资料集 %1 — 点击后本对话不再搜索它</translation>
    </message>
    <message>
        <source>%1 — click to remove it from this chat</source>
        <translation>%1 — 点击从本对话中移除</translation>
    </message>
    <message>
        <source>Remove %1</source>
        <translation>移除 %1</translation>
    </message>
</context>
<context>
    <name>Attachments</name>
    <message>
        <source>Attach documents</source>
        <translation>附加文档</translation>
    </message>
    <message>
        <source>Documents (*.txt *.md *.pdf *.docx *.html *.htm *.rst *.csv *.json *.py *.js *.ts *.c *.cpp *.h *.rs *.go *.java)</source>
        <translation>文档 (*.txt *.md *.pdf *.docx *.html *.htm *.rst *.csv *.json *.py *.js *.ts *.c *.cpp *.h *.rs *.go *.java)</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation>正在读取 %1…</translation>
    </message>
    <message>
        <source>Attach files…</source>
        <translation>附加文件…</translation>
    </message>
    <message>
        <source>Search a collection</source>
        <translation>搜索资料集</translation>
    </message>
    <message>
        <source>No collection</source>
        <translation>不使用资料集</translation>
    </message>
    <message>
        <source>Make collections in Settings → Documents</source>
        <translation>在 设置 → 文档 中创建资料集</translation>
    </message>
    <message>
        <source>Indexing %1: %2 of %3 passages…</source>
        <translation>正在索引 %1：第 %2 段，共 %3 段…</translation>
    </message>
    <message>
        <source>Searching the documents…</source>
        <translation>正在搜索文档…</translation>
    </message>
    <message numerus="yes">
        <source>Whole document in the prompt (%n passages)</source>
        <translation>
            <numerusform>整份文档放入提示（%n 段）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Whole documents in the prompt (%n passages)</source>
        <translation>
            <numerusform>整份文档放入提示（%n 段）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Retrieved %n passages for this question</source>
        <translation>
            <numerusform>为此问题检索到 %n 段</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <source>Reload model</source>
        <translation>重新加载模型</translation>
    </message>
</context>
<context>
    <name>ChatHeader</name>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>System prompt and sampling for this conversation</source>
        <translation>此对话的系统提示词与采样参数</translation>
    </message>
</context>
<context>
    <name>ChatPage</name>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>消息列表</translation>
    </message>
    <message>
        <source>Start a conversation: type below and press Enter.</source>
        <translation>开始对话：在下方输入内容，按 Enter 发送。</translation>
    </message>
    <message>
        <source>Editing a message: Enter sends it as a new branch, Esc cancels.</source>
        <translation>正在编辑消息：按 Enter 作为新分支发送，按 Esc 取消。</translation>
    </message>
    <message>
        <source>No model is loaded. Load one in My Models, then send again.</source>
        <translation>尚未加载模型。请先在“我的模型”中加载一个，然后再发送。</translation>
    </message>
    <message>
        <source>{0} is not loaded any more (it was unloaded, or sat unused for an hour). Reload it, or pick another in the header.</source>
        <translation>{0} 已不在内存中（被卸载，或闲置超过一小时）。请重新加载，或在顶部选择其他模型。</translation>
    </message>
    <message>
        <source>Stop the reply before deleting this conversation.</source>
        <translation>请先停止回复，再删除此对话。</translation>
    </message>
</context>
<context>
    <name>ChatTools</name>
    <message>
        <source>The model called tools {rounds} times in this reply; it answers now without them.</source>
        <translation>模型在这次回复中已调用工具 {rounds} 次；现在改为不使用工具直接回答。</translation>
    </message>
</context>
<context>
    <name>ClusterBox</name>
    <message>
        <source>Cluster (llama.cpp RPC)</source>
        <translation>集群（llama.cpp RPC）</translation>
    </message>
    <message>
        <source>Split a model over this machine and other machines running &lt;code&gt;spark-desktop rpc-server&lt;/code&gt;. The link must be private (the ConnectX cable between two Sparks): llama.cpp&apos;s RPC has no password.</source>
        <translation>把一个模型拆分到本机和其他运行 &lt;code&gt;spark-desktop rpc-server&lt;/code&gt; 的机器上。连接必须是私有链路（例如两台 Spark 之间的 ConnectX 线缆）：llama.cpp 的 RPC 没有密码保护。</translation>
    </message>
    <message>
        <source>Add peer</source>
        <translation>添加节点</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Probe again</source>
        <translation>重新探测</translation>
    </message>
    <message>
        <source>Split of the offloaded layers:</source>
        <translation>卸载到 GPU 的层如何分配：</translation>
    </message>
    <message>
        <source>by free memory (or shares: this machine&apos;s GPU, then each peer, e.g. 1,3)</source>
        <translation>按空闲内存分配（或填写比例：先本机 GPU，再依次各节点，例如 1,3）</translation>
    </message>
    <message>
        <source>{peer} is already a peer.</source>
        <translation>{peer} 已经是集群节点。</translation>
    </message>
    <message>
        <source>Probing {peer}…</source>
        <translation>正在探测 {peer}…</translation>
    </message>
    <message>
        <source>Probing…</source>
        <translation>正在探测…</translation>
    </message>
    <message>
        <source>{peer} — reachable, {free} free of {size}</source>
        <translation>{peer} — 可连接，空闲 {free} / 共 {size}</translation>
    </message>
    <message>
        <source>in use</source>
        <translation>已用</translation>
    </message>
    <message>
        <source>{peer} — not probed yet</source>
        <translation>{peer} — 尚未探测</translation>
    </message>
</context>
<context>
    <name>CollectionsWatcher</name>
    <message>
        <source>Choose an embedding model in Settings → Documents (or load a chat model) to index this collection.</source>
        <translation>请在 设置 → 文档 中选择嵌入模型（或加载一个对话模型），才能索引此资料集。</translation>
    </message>
</context>
<context>
    <name>ColumnView</name>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>Waiting…</source>
        <translation>等待中…</translation>
    </message>
    <message>
        <source>Answering · {memory}</source>
        <translation>正在回答 · {memory}</translation>
    </message>
    <message>
        <source>Failed: {error}</source>
        <translation>失败：{error}</translation>
    </message>
    <message>
        <source>First token {ttft} ms · {tps} tok/s · {tokens} tokens · {memory}</source>
        <translation>首个词元 {ttft} 毫秒 · {tps} 词元/秒 · {tokens} 个词元 · {memory}</translation>
    </message>
</context>
<context>
    <name>Columns</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <source>Time left</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Likes</source>
        <translation>点赞</translation>
    </message>
    <message>
        <source>Updated</source>
        <translation>更新时间</translation>
    </message>
    <message>
        <source>Access</source>
        <translation>访问权限</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>能否运行</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>激活参数</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>Largest context</source>
        <translation>最大可用上下文</translation>
    </message>
    <message>
        <source>Writing tok/s</source>
        <translation>生成 tok/s</translation>
    </message>
    <message>
        <source>Reading tok/s</source>
        <translation>读取 tok/s</translation>
    </message>
    <message>
        <source>Licence</source>
        <translation>许可证</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
</context>
<context>
    <name>ComparePage</name>
    <message>
        <source>Compare</source>
        <translation>对比</translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>已保存</translation>
    </message>
    <message>
        <source>Leaderboard</source>
        <translation>排行榜</translation>
    </message>
    <message>
        <source>Models to compare</source>
        <translation>要对比的模型</translation>
    </message>
    <message>
        <source>Blind: hide the names until I vote</source>
        <translation>盲评：投票前隐藏模型名称</translation>
    </message>
    <message>
        <source>New comparison</source>
        <translation>新建对比</translation>
    </message>
    <message>
        <source>Load settings…</source>
        <translation>加载设置…</translation>
    </message>
    <message>
        <source>Context, KV cache and offload of the highlighted model, for this page&apos;s comparisons (a model already loaded keeps the settings it was loaded with).</source>
        <translation>当前选中模型在本页对比中使用的上下文、KV 缓存与卸载设置（已加载的模型保持其加载时的设置）。</translation>
    </message>
    <message>
        <source>Pick 2 to 4 models.</source>
        <translation>请选择 2 到 4 个模型。</translation>
    </message>
    <message>
        <source>A prompt every model answers</source>
        <translation>每个模型都会回答的提示词</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Which answer is better?</source>
        <translation>哪个回答更好？</translation>
    </message>
    <message>
        <source>Search the comparisons</source>
        <translation>搜索对比记录</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Export JSON…</source>
        <translation>导出 JSON…</translation>
    </message>
    <message>
        <source>Export Markdown…</source>
        <translation>导出 Markdown…</translation>
    </message>
    <message>
        <source>Highlight a model in the list first.</source>
        <translation>请先在列表中选中一个模型。</translation>
    </message>
    <message>
        <source>Loads with a context of {0} tokens</source>
        <translation>以 {0} 个 token 的上下文加载</translation>
    </message>
    <message>
        <source>{n} models chosen: send a prompt.</source>
        <translation>已选择 {n} 个模型：请发送提示词。</translation>
    </message>
    <message>
        <source>Comparing needs the app&apos;s own model host, and it is not ready (or another process hosts the models).</source>
        <translation>对比需要本应用自己的模型宿主，但它尚未就绪（或模型由另一个进程托管）。</translation>
    </message>
    <message>
        <source>Running together: the models need {need} and {free} of the {pool} memory pool is free.</source>
        <translation>同时运行：这些模型需要 {need}，{pool} 内存池中有 {free} 可用。</translation>
    </message>
    <message>
        <source>They do not fit together: the models need {need} but only {free} of the {pool} memory pool is free, so they answer one after another.</source>
        <translation>无法同时放下：这些模型需要 {need}，但 {pool} 内存池中只有 {free} 可用，因此它们将依次回答。</translation>
    </message>
    <message>
        <source>{label} is better</source>
        <translation>{label} 更好</translation>
    </message>
    <message>
        <source>Tie</source>
        <translation>平局</translation>
    </message>
    <message>
        <source>a tie</source>
        <translation>平局</translation>
    </message>
    <message>
        <source>Your vote: {winner}.</source>
        <translation>你的投票：{winner}。</translation>
    </message>
    <message>
        <source>{title} — {models}</source>
        <translation>{title} — {models}</translation>
    </message>
    <message>
        <source>Untitled</source>
        <translation>未命名</translation>
    </message>
    <message>
        <source>Reopened “{title}”: send a prompt to go on.</source>
        <translation>已重新打开“{title}”：发送提示词即可继续。</translation>
    </message>
    <message>
        <source>Export the comparison</source>
        <translation>导出对比</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Message the model — Enter sends, Shift+Enter adds a line</source>
        <translation>给模型发消息 — Enter 发送，Shift+Enter 换行</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Attach…</source>
        <translation>附加…</translation>
    </message>
    <message>
        <source>Attach documents to this chat (or drop files on it): the answers cite them</source>
        <translation>为本对话附加文档（或把文件拖到这里）：回答会引用它们</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the reply (Esc)</source>
        <translation>停止回复 (Esc)</translation>
    </message>
    <message>
        <source>Send (Enter)</source>
        <translation>发送 (Enter)</translation>
    </message>
</context>
<context>
    <name>ContextMeter</name>
    <message>
        <source>Context used</source>
        <translation>已用上下文</translation>
    </message>
    <message>
        <source>context: no model</source>
        <translation>上下文：未加载模型</translation>
    </message>
    <message>
        <source>Load a model to see how much of its context this chat uses.</source>
        <translation>加载模型后，可查看此对话占用了多少上下文。</translation>
    </message>
    <message>
        <source>{used} / {total} tokens</source>
        <translation>{used} / {total} 个 token</translation>
    </message>
    <message numerus="yes">
        <source>%n older message(s) no longer fit and were left out of the last prompt.</source>
        <translation>
            <numerusform>有 %n 条较早的消息超出上下文长度，未包含在上一次提示中。</numerusform>
        </translation>
    </message>
    <message>
        <source>This conversation used {used} of the model&apos;s {total}-token context in its last reply.</source>
        <translation>此对话在上一次回复中使用了模型 {total} token 上下文中的 {used} 个。</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>开始新对话 (Ctrl+N)</translation>
    </message>
    <message>
        <source>Search all chats (Ctrl+K)</source>
        <translation>搜索全部对话 (Ctrl+K)</translation>
    </message>
    <message>
        <source>Search all chats</source>
        <translation>搜索全部对话</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>对话列表</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <source>Unpin</source>
        <translation>取消置顶</translation>
    </message>
    <message>
        <source>Pin to top</source>
        <translation>置顶</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Rename conversation</source>
        <translation>重命名对话</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>Delete conversation</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <source>Delete this conversation and all its messages? This cannot be undone.</source>
        <translation>删除此对话及其全部消息？此操作无法撤销。</translation>
    </message>
</context>
<context>
    <name>DiscoverPage</name>
    <message>
        <source>Most downloaded</source>
        <translation>下载最多</translation>
    </message>
    <message>
        <source>Most liked</source>
        <translation>点赞最多</translation>
    </message>
    <message>
        <source>Trending</source>
        <translation>热门趋势</translation>
    </message>
    <message>
        <source>Recently updated</source>
        <translation>最近更新</translation>
    </message>
    <message>
        <source>Search GGUF models on Hugging Face (e.g. qwen, gemma, llama)…</source>
        <translation>在 Hugging Face 上搜索 GGUF 模型（例如 qwen、gemma、llama）…</translation>
    </message>
    <message>
        <source>Search models</source>
        <translation>搜索模型</translation>
    </message>
    <message>
        <source>Sort by</source>
        <translation>排序方式</translation>
    </message>
    <message>
        <source>More results</source>
        <translation>更多结果</translation>
    </message>
    <message>
        <source>Embedding models for documents</source>
        <translation>用于文档的嵌入模型</translation>
    </message>
    <message>
        <source>Discover</source>
        <translation>发现</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message>
        <source>this machine</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>Open a model (double-click or Enter) to see its files and whether they fit {target}.</source>
        <translation>打开一个模型（双击或按 Enter），查看它的文件以及能否在 {target} 上运行。</translation>
    </message>
    <message>
        <source>No GGUF models found. Try another word, or clear the search to see the most popular models.</source>
        <translation>没有找到 GGUF 模型。换个关键词试试，或清空搜索框查看最热门的模型。</translation>
    </message>
    <message>
        <source>Small models that turn passages of your documents into vectors for search; choose one in Settings → Documents once downloaded.</source>
        <translation>把文档段落转换为向量以供搜索的小模型；下载后在 设置 → 文档 中选择。</translation>
    </message>
    <message>
        <source>{title} ({quant}, about {size}): {why}</source>
        <translation>{title}（{quant}，约 {size}）：{why}</translation>
    </message>
</context>
<context>
    <name>DocumentsBox</name>
    <message>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Embedding model for documents</source>
        <translation>文档嵌入模型</translation>
    </message>
    <message>
        <source>Embedding model</source>
        <translation>嵌入模型</translation>
    </message>
    <message>
        <source>Passages of attached documents and collections are embedded with this model (a small embedding model is quicker and often better; Discover suggests some). Changing it indexes the documents again.</source>
        <translation>附加文档和资料集的段落用此模型生成向量（小型嵌入模型更快，效果往往更好；“发现”页会推荐几个）。更换后会重新索引文档。</translation>
    </message>
    <message>
        <source>Collection</source>
        <translation>资料集</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Passages</source>
        <translation>段落</translation>
    </message>
    <message>
        <source>Last sync</source>
        <translation>上次同步</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Add collection…</source>
        <translation>添加资料集…</translation>
    </message>
    <message>
        <source>Re-index now</source>
        <translation>立即重新索引</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>The chat model itself</source>
        <translation>对话模型本身</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <source>Indexing…</source>
        <translation>正在索引…</translation>
    </message>
    <message>
        <source>{files} files</source>
        <translation>{files} 个文件</translation>
    </message>
    <message>
        <source>{files} files; {failed} could not be read</source>
        <translation>{files} 个文件；{failed} 个无法读取</translation>
    </message>
    <message>
        <source>{files} files, up to date</source>
        <translation>{files} 个文件，已是最新</translation>
    </message>
    <message>
        <source>Choose the folder to index</source>
        <translation>选择要索引的文件夹</translation>
    </message>
    <message>
        <source>New collection</source>
        <translation>新建资料集</translation>
    </message>
    <message>
        <source>Name of the collection:</source>
        <translation>资料集名称：</translation>
    </message>
    <message>
        <source>Adding {name}…</source>
        <translation>正在添加 {name}…</translation>
    </message>
    <message>
        <source>Remove collection</source>
        <translation>移除资料集</translation>
    </message>
    <message>
        <source>Remove the collection {name}? Its passages are forgotten; the files in the folder stay as they are.</source>
        <translation>移除资料集 {name}？它的段落索引会被删除；文件夹中的文件保持不变。</translation>
    </message>
</context>
<context>
    <name>DownloadsModel</name>
    <message>
        <source>Waiting</source>
        <extracomment>The role giving a row&apos;s progress as 0..1000 (for the progress-bar delegate).</extracomment>
        <translation>等待中</translation>
    </message>
    <message>
        <source>Downloading</source>
        <translation>下载中</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Failed: {error}</source>
        <translation>失败：{error}</translation>
    </message>
    <message>
        <source>Done, checksum verified</source>
        <translation>已完成，校验和已验证</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
</context>
<context>
    <name>DownloadsPage</name>
    <message>
        <source>No downloads yet. Find a model in Discover and press Download.</source>
        <translation>还没有下载任务。在“发现”中找到模型，点击“下载”即可。</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
</context>
<context>
    <name>FirstRunPage</name>
    <message>
        <source>DGX Spark — 128 GB unified memory</source>
        <translation>DGX Spark — 128 GB 统一内存</translation>
    </message>
    <message>
        <source>Linux PC — {ram} GB RAM, no NVIDIA GPU</source>
        <translation>Linux 电脑 — {ram} GB 内存，无 NVIDIA 显卡</translation>
    </message>
    <message>
        <source>Linux PC — {ram} GB unified memory ({gpu})</source>
        <translation>Linux 电脑 — {ram} GB 统一内存（{gpu}）</translation>
    </message>
    <message>
        <source>Linux PC — {ram} GB RAM, {gpu} with {vram} GB</source>
        <translation>Linux 电脑 — {ram} GB 内存，{gpu}（{vram} GB 显存）</translation>
    </message>
    <message>
        <source>Welcome to Spark Desktop</source>
        <translation>欢迎使用 Spark Desktop</translation>
    </message>
    <message>
        <source>Looking at this machine…</source>
        <translation>正在检测本机配置…</translation>
    </message>
    <message>
        <source>Browse all models in Discover</source>
        <translation>在“发现”中浏览全部模型</translation>
    </message>
    <message>
        <source>this machine</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>Models that fit {target} — one click downloads one; then load it in My Models and chat.</source>
        <translation>以下模型可在 {target} 上运行 — 一键下载，然后在“我的模型”中加载即可开始对话。</translation>
    </message>
    <message>
        <source>This computer: {machine}. Fit and speed below are for {target} (&quot;target&quot; in settings.json).</source>
        <translation>本机：{machine}。下方的可运行性与速度针对 {target} 估算（见 settings.json 中的 &quot;target&quot;）。</translation>
    </message>
    <message>
        <source>None of our suggestions fits the memory of {target}; Discover shows smaller models.</source>
        <translation>推荐的模型都超出了 {target} 的内存；可在“发现”中寻找更小的模型。</translation>
    </message>
    <message>
        <source>Its fit is checked as soon as the Hub can be reached.</source>
        <translation>连接到 Hub 后会立即检查能否运行。</translation>
    </message>
</context>
<context>
    <name>JobActions</name>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>Language</name>
    <message>
        <source>Same as the system</source>
        <extracomment>The choices of Settings → Language, in the order shown: (settings value, label). A language is named in itself; &quot;system&quot; is translated (language_choices()).</extracomment>
        <translation>跟随系统</translation>
    </message>
</context>
<context>
    <name>LeaderboardView</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Rating</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>±</source>
        <translation>±</translation>
    </message>
    <message>
        <source>Votes</source>
        <translation>票数</translation>
    </message>
    <message>
        <source>Wins–losses</source>
        <translation>胜–负</translation>
    </message>
    <message>
        <source>Bradley–Terry ratings of your own votes (1000 is average; ± is one standard error).</source>
        <translation>根据你自己的投票计算的 Bradley–Terry 评分（1000 为平均水平；± 为一个标准误差）。</translation>
    </message>
</context>
<context>
    <name>LoadDialog</name>
    <message>
        <source>Load {model}</source>
        <translation>加载 {model}</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> 个 token</translation>
    </message>
    <message>
        <source>all</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Flash attention (smaller compute buffer at long contexts)</source>
        <translation>Flash Attention（长上下文时计算缓冲区更小）</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>KV cache type</source>
        <translation>KV 缓存类型</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>加载</translation>
    </message>
    <message>
        <source>Memory on {target}:</source>
        <translation>内存 — {target}：</translation>
    </message>
    <message>
        <source>{node}: {used} of {size}</source>
        <translation>{node}：已用 {used} / 共 {size}</translation>
    </message>
    <message>
        <source>free {free} of {size}</source>
        <translation>空闲 {free} / 共 {size}</translation>
    </message>
    <message>
        <source>Use the largest context that fits: {tokens} tokens</source>
        <translation>使用可容纳的最大上下文：{tokens} 个 token</translation>
    </message>
</context>
<context>
    <name>LocalModelsModel</name>
    <message>
        <source>downloads</source>
        <translation>下载目录</translation>
    </message>
    <message>
        <source>Hugging Face cache</source>
        <translation>Hugging Face 缓存</translation>
    </message>
    <message>
        <source>extra folder</source>
        <translation>额外文件夹</translation>
    </message>
    <message>
        <source>imported</source>
        <translation>已导入</translation>
    </message>
</context>
<context>
    <name>LockScreen</name>
    <message>
        <source>Spark Desktop is locked</source>
        <translation>Spark Desktop 已锁定</translation>
    </message>
    <message>
        <source>Your passphrase</source>
        <translation>你的口令</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <source>That passphrase does not unlock Spark Desktop.</source>
        <translation>口令不正确，无法解锁 Spark Desktop。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Discover</source>
        <translation>发现</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>My Models</source>
        <translation>我的模型</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Get started</source>
        <translation>快速开始</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>页面</translation>
    </message>
    <message>
        <source>Opening your conversations…</source>
        <translation>正在打开你的对话…</translation>
    </message>
    <message>
        <source>Your conversations stay locked: the passphrase was not given. Restart Spark Desktop to try again.</source>
        <translation>你的对话仍处于锁定状态：未输入口令。请重新启动 Spark Desktop 再试。</translation>
    </message>
    <message>
        <source>The chat could not open: {error}</source>
        <translation>无法打开对话：{error}</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>not loaded</source>
        <translation>未加载</translation>
    </message>
    <message numerus="yes">
        <source>%n model(s) loaded</source>
        <translation>
            <numerusform>已加载 %n 个模型</numerusform>
        </translation>
    </message>
    <message>
        <source>loading {0}</source>
        <translation>正在加载 {0}</translation>
    </message>
    <message>
        <source>{0} of {1} in use</source>
        <translation>已用 {0} / 共 {1}</translation>
    </message>
    <message>
        <source>Memory the loaded models use on {0}, of the {1} the model host may fill.</source>
        <translation>已加载模型在{0}上占用的内存，模型主机最多可用 {1}。</translation>
    </message>
    <message>
        <source>&amp;Spark Desktop</source>
        <translation>&amp;Spark Desktop</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>对比</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>loaded</source>
        <translation>已加载</translation>
    </message>
    <message>
        <source>Planning for {target}</source>
        <translation>按 {target} 估算</translation>
    </message>
    <message>
        <source>Fit badges and speed estimates are for {target}; the memory figure is this machine&apos;s.</source>
        <translation>可运行标记和速度估算针对 {target}；内存占用数字是本机的。</translation>
    </message>
</context>
<context>
    <name>McpSettingsBox</name>
    <message>
        <source>Ready: {count} tools</source>
        <translation>就绪：{count} 个工具</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>未连接</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Turned off</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>MCP servers (tools for chats)</source>
        <translation>MCP 服务器（供对话使用的工具）</translation>
    </message>
    <message>
        <source>Tools a chat&apos;s model may use, from MCP servers, written as the &quot;mcpServers&quot; JSON other apps use: &quot;command&quot;, &quot;args&quot;, &quot;env&quot; to run a program, or &quot;url&quot; and &quot;headers&quot; for a streamable HTTP server.</source>
        <translation>对话模型可以使用的工具，来自 MCP 服务器，按其他应用通用的 &quot;mcpServers&quot; JSON 书写：用 &quot;command&quot;、&quot;args&quot;、&quot;env&quot; 运行程序，或用 &quot;url&quot; 和 &quot;headers&quot; 连接可流式 HTTP 服务器。</translation>
    </message>
    <message>
        <source>MCP servers JSON</source>
        <translation>MCP 服务器 JSON</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Check servers</source>
        <translation>检查服务器</translation>
    </message>
    <message>
        <source>Server or tool</source>
        <translation>服务器或工具</translation>
    </message>
    <message>
        <source>Status or description</source>
        <translation>状态或说明</translation>
    </message>
    <message>
        <source>Tools allowed without asking:</source>
        <translation>无需询问即可使用的工具：</translation>
    </message>
    <message>
        <source>Ask again before using it</source>
        <translation>使用前再次询问</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <source>Connecting to the servers…</source>
        <translation>正在连接服务器…</translation>
    </message>
    <message>
        <source>{ready} of {count} servers ready.</source>
        <translation>{count} 个服务器中 {ready} 个就绪。</translation>
    </message>
</context>
<context>
    <name>MemoryBar</name>
    <message>
        <source>Free: {free} of {pool}</source>
        <translation>空闲：{free} / {pool}</translation>
    </message>
</context>
<context>
    <name>MessageDelegate</name>
    <message>
        <source>Reached the reply length limit.</source>
        <translation>已达到回复长度上限。</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <source>The engine stopped during this reply; the text so far is kept.</source>
        <translation>推理引擎在回复过程中停止；已生成的内容已保留。</translation>
    </message>
    <message>
        <source>Interrupted (the app or engine stopped); the text so far is kept.</source>
        <translation>已中断（应用或推理引擎已停止）；已生成的内容已保留。</translation>
    </message>
    <message>
        <source>%n tokens</source>
        <translation>%n 个 token</translation>
    </message>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>Result of {tool}</source>
        <translation>{tool} 的结果</translation>
    </message>
    <message numerus="yes">
        <source>Thinking · %n words</source>
        <translation>
            <numerusform>思考过程 · %n 词</numerusform>
        </translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Generating…</source>
        <translation>正在生成…</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Attached: %1</source>
        <translation>附件：%1</translation>
    </message>
    <message>
        <source>Sources (whole documents):</source>
        <translation>来源（整份文档）：</translation>
    </message>
    <message>
        <source>Sources (retrieved passages):</source>
        <translation>来源（检索到的段落）：</translation>
    </message>
    <message numerus="yes">
        <source>and %n more</source>
        <translation>
            <numerusform>另有 %n 个</numerusform>
        </translation>
    </message>
    <message>
        <source>code</source>
        <translation>代码</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>Load a model in My Models…</source>
        <translation>请在“我的模型”中加载模型…</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
</context>
<context>
    <name>ModelsPage</name>
    <message>
        <source>Load…</source>
        <translation>加载…</translation>
    </message>
    <message>
        <source>Unload</source>
        <translation>卸载</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Add to comparison</source>
        <translation>加入对比</translation>
    </message>
    <message>
        <source>Models on this machine</source>
        <translation>本机上的模型</translation>
    </message>
    <message>
        <source>No model loaded.</source>
        <translation>未加载模型。</translation>
    </message>
    <message>
        <source>No models on this machine yet. Find one in Discover.</source>
        <translation>本机还没有模型。去“发现”里找一个吧。</translation>
    </message>
    <message>
        <source>My Models</source>
        <translation>我的模型</translation>
    </message>
    <message>
        <source>{model} cannot be loaded: {problem}</source>
        <translation>无法加载 {model}：{problem}</translation>
    </message>
    <message>
        <source>Reading {model}…</source>
        <translation>正在读取 {model}…</translation>
    </message>
    <message>
        <source>Loading {0}…</source>
        <translation>正在加载 {0}…</translation>
    </message>
    <message>
        <source>{0} is loaded ({1} in memory). Go to Chat to talk to it.</source>
        <translation>{0} 已加载（占用内存 {1}）。前往“对话”开始交流。</translation>
    </message>
    <message>
        <source>{0} did not load: {1}</source>
        <translation>{0} 加载失败：{1}</translation>
    </message>
    <message>
        <source>Delete model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <source>Delete {model} ({size}) from this machine?
{path}</source>
        <translation>要从本机删除 {model}（{size}）吗？
{path}</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Deleting {model}…</source>
        <translation>正在删除 {model}…</translation>
    </message>
    <message>
        <source>Deleted {model}; {size} freed.</source>
        <translation>已删除 {model}，释放了 {size}。</translation>
    </message>
</context>
<context>
    <name>NewPassphraseDialog</name>
    <message>
        <source>Choose a passphrase for your history</source>
        <translation>为对话记录设置口令</translation>
    </message>
    <message>
        <source>It is asked at every start. If you forget it, your conversations cannot be recovered.</source>
        <translation>每次启动时都需要输入。忘记口令后，对话将无法恢复。</translation>
    </message>
    <message>
        <source>Use at least 8 characters.</source>
        <translation>请至少输入 8 个字符。</translation>
    </message>
    <message>
        <source>The two entries differ.</source>
        <translation>两次输入不一致。</translation>
    </message>
</context>
<context>
    <name>PassageView</name>
    <message>
        <source>Source [%1]: %2</source>
        <translation>来源 [%1]：%2</translation>
    </message>
    <message>
        <source>Reading the file…</source>
        <translation>正在读取文件…</translation>
    </message>
    <message>
        <source>Passage</source>
        <translation>段落</translation>
    </message>
    <message>
        <source>Open file</source>
        <translation>打开文件</translation>
    </message>
    <message>
        <source>Open %1 in the system&apos;s application</source>
        <translation>用系统应用打开 %1</translation>
    </message>
    <message>
        <source>The passage is at another place in the file now.</source>
        <translation>这段文字现在位于文件中的另一处。</translation>
    </message>
    <message>
        <source>The file changed since this reply: this is the passage as the model read it.</source>
        <translation>此回复之后文件已更改：以下是模型当时读到的段落。</translation>
    </message>
    <message>
        <source>The file is not there any more (moved or deleted?): this is the passage as the model read it.</source>
        <translation>文件已不在原处（被移动或删除？）：以下是模型当时读到的段落。</translation>
    </message>
    <message>
        <source>The file cannot be read now; this is the passage as the model read it.</source>
        <translation>现在无法读取该文件；以下是模型当时读到的段落。</translation>
    </message>
</context>
<context>
    <name>PassphraseDialog</name>
    <message>
        <source>Unlock your history</source>
        <translation>解锁对话记录</translation>
    </message>
    <message>
        <source>Your conversations are protected by a passphrase.</source>
        <translation>你的对话受口令保护。</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <source>That passphrase does not unlock the history. Try again.</source>
        <translation>口令不正确，无法解锁对话记录。请重试。</translation>
    </message>
</context>
<context>
    <name>PresetBox</name>
    <message>
        <source>Preset</source>
        <extracomment>What &quot;Save as preset&quot; takes from the panel: (system prompt, sampling dict).</extracomment>
        <translation>预设</translation>
    </message>
    <message>
        <source>Save as…</source>
        <translation>另存为…</translation>
    </message>
    <message>
        <source>Save the system prompt and sampling shown here as a preset</source>
        <translation>把这里显示的系统提示词和采样设置保存为预设</translation>
    </message>
    <message>
        <source>Import…</source>
        <translation>导入…</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Reload the model with them</source>
        <translation>用这些设置重新加载模型</translation>
    </message>
    <message>
        <source>No preset</source>
        <translation>无预设</translation>
    </message>
    <message>
        <source>{0} (yours)</source>
        <translation>{0}（你的）</translation>
    </message>
    <message>
        <source>Saved preset {0}.</source>
        <translation>已保存预设 {0}。</translation>
    </message>
    <message>
        <source>Imported {0}.</source>
        <translation>已导入 {0}。</translation>
    </message>
    <message>
        <source>Nothing new to import.</source>
        <translation>没有可导入的新预设。</translation>
    </message>
    <message>
        <source>Exported {0} to {1}.</source>
        <translation>已将 {0} 导出到 {1}。</translation>
    </message>
    <message>
        <source>Deleted preset {0}.</source>
        <translation>已删除预设 {0}。</translation>
    </message>
    <message>
        <source>{0} (copy)</source>
        <translation>{0}（副本）</translation>
    </message>
    <message>
        <source>Save as preset</source>
        <translation>保存为预设</translation>
    </message>
    <message>
        <source>Name of the preset:</source>
        <translation>预设名称：</translation>
    </message>
    <message>
        <source>Import presets</source>
        <translation>导入预设</translation>
    </message>
    <message>
        <source>Presets (*.json)</source>
        <translation>预设 (*.json)</translation>
    </message>
    <message>
        <source>Choose the preset to export first.</source>
        <translation>请先选择要导出的预设。</translation>
    </message>
    <message>
        <source>Export preset</source>
        <translation>导出预设</translation>
    </message>
    <message>
        <source>This preset also sets how the model loads ({0}); a loaded model keeps its settings until it is reloaded.</source>
        <translation>此预设还设定了模型的加载方式（{0}）；已加载的模型在重新加载前保持原设置。</translation>
    </message>
</context>
<context>
    <name>PrivacyBox</name>
    <message>
        <source>Spark Desktop connects to the network only when you ask it to: searching the Hugging Face Hub, opening a model card, and downloading a model (and the local API server, if you turn it on). MCP servers you add in Settings are started or reached as you configured them, and a tool call you allow sends its arguments to its server. There is no telemetry and no update check. Offline mode makes no connection to the Hub. Your conversations never leave this device, except what a tool call you allow sends.</source>
        <translation>Spark Desktop 只在你要求时联网：搜索 Hugging Face Hub、打开模型卡片、下载模型（以及你开启的本地 API 服务器）。你在设置中添加的 MCP 服务器会按你的配置启动或连接，你允许的工具调用会把参数发送给对应的服务器。没有遥测，也不检查更新。离线模式下不连接 Hub。除了你允许的工具调用发送的内容，你的对话永远不会离开这台设备。</translation>
    </message>
    <message>
        <source>Your history will be encrypted on this device when the first chat is saved.</source>
        <translation>保存第一段对话时，对话记录会在本设备上加密。</translation>
    </message>
    <message>
        <source>Your history is NOT encrypted (it was created by an older version). Encrypt it at the next start, or close Spark Desktop and run: spark-desktop history encrypt</source>
        <translation>你的对话记录未加密（由旧版本创建）。可在下次启动时加密，或关闭 Spark Desktop 后运行：spark-desktop history encrypt</translation>
    </message>
    <message>
        <source>Your history is encrypted on this device and unlocked with your passphrase.</source>
        <translation>你的对话记录已在本设备上加密，用你的口令解锁。</translation>
    </message>
    <message>
        <source>Your history is encrypted on this device; its key is kept in your system keyring, so nothing is asked at start.</source>
        <translation>你的对话记录已在本设备上加密；密钥保存在系统密钥环中，启动时无需输入任何内容。</translation>
    </message>
    <message>
        <source>Your history will be encrypted at the next start of Spark Desktop.</source>
        <translation>下次启动 Spark Desktop 时将加密你的对话记录。</translation>
    </message>
    <message>
        <source>You will choose the passphrase at the next start of Spark Desktop.</source>
        <translation>下次启动 Spark Desktop 时将请你设置口令。</translation>
    </message>
    <message>
        <source>The passphrase will be replaced by a key in your keyring at the next start.</source>
        <translation>下次启动时，口令将改为保存在密钥环中的密钥。</translation>
    </message>
    <message>
        <source>Privacy</source>
        <translation>隐私</translation>
    </message>
    <message>
        <source>Checking the history…</source>
        <translation>正在检查对话记录…</translation>
    </message>
    <message>
        <source>Encrypt my history</source>
        <translation>加密我的对话记录</translation>
    </message>
    <message>
        <source>Set a passphrase…</source>
        <translation>设置口令…</translation>
    </message>
    <message>
        <source>Use the keyring instead of a passphrase</source>
        <translation>改用密钥环，不再使用口令</translation>
    </message>
    <message>
        <source>Delete all my data…</source>
        <translation>删除我的所有数据…</translation>
    </message>
    <message>
        <source>Change the passphrase…</source>
        <translation>更改口令…</translation>
    </message>
    <message>
        <source>Delete all my data</source>
        <translation>删除我的所有数据</translation>
    </message>
    <message>
        <source>Delete every conversation, the logs, caches and settings from this device? This cannot be undone. Spark Desktop quits afterwards.</source>
        <translation>要从本设备删除所有对话、日志、缓存和设置吗？此操作无法撤销。删除后 Spark Desktop 将退出。</translation>
    </message>
    <message>
        <source>Also delete the downloaded models</source>
        <translation>同时删除已下载的模型</translation>
    </message>
    <message>
        <source>Delete everything</source>
        <translation>全部删除</translation>
    </message>
    <message>
        <source>Encrypting your history…</source>
        <translation>正在加密对话记录…</translation>
    </message>
    <message>
        <source>Your history is now encrypted (%n message(s) checked).</source>
        <translation>对话记录已加密（已校验 %n 条消息）。</translation>
    </message>
    <message>
        <source>Moving the key to your keyring…</source>
        <translation>正在把密钥移到密钥环…</translation>
    </message>
    <message>
        <source>Your history now opens with a key kept in your keyring.</source>
        <translation>对话记录现在用保存在密钥环中的密钥打开。</translation>
    </message>
    <message>
        <source>Encrypting your history with your passphrase…</source>
        <translation>正在用你的口令加密对话记录…</translation>
    </message>
    <message>
        <source>Re-encrypting your history with the new passphrase…</source>
        <translation>正在用新口令重新加密对话记录…</translation>
    </message>
    <message>
        <source>Your history is now protected by your new passphrase.</source>
        <translation>对话记录现在受新口令保护。</translation>
    </message>
</context>
<context>
    <name>QuantChart</name>
    <message>
        <source>Size against predicted speed of {n} quantizations</source>
        <translation>{n} 个量化版本的大小与预计速度</translation>
    </message>
    <message>
        <source>No figures yet: add quantizations of a repository.</source>
        <translation>暂无数据：请添加某个仓库的量化版本。</translation>
    </message>
    <message>
        <source>file size (log scale) → predicted tok/s writing ↑</source>
        <translation>文件大小（对数刻度）→ 预计生成速度 tok/s ↑</translation>
    </message>
    <message>
        <source>fits up to {size}</source>
        <translation>最大可容纳 {size}</translation>
    </message>
    <message>
        <source>Not even the smallest file fits at this context.</source>
        <translation>在此上下文长度下，连最小的文件也放不下。</translation>
    </message>
</context>
<context>
    <name>Recommendation</name>
    <message>
        <source>OpenAI&apos;s open mixture-of-experts model: strong reasoning, fast because only 5B parameters work per token. Made for a 128 GB machine.</source>
        <translation>OpenAI 的开放权重混合专家（MoE）模型：推理能力强，每个 token 只激活 5B 参数，因此速度快。专为 128 GB 内存的机器打造。</translation>
    </message>
    <message>
        <source>A quick all-rounder (3B active parameters) with a long context.</source>
        <translation>快速的全能型模型（激活参数 3B），支持长上下文。</translation>
    </message>
    <message>
        <source>A capable reasoning model that fits a 16 GB GPU.</source>
        <translation>能力出色的推理模型，16 GB 显存即可运行。</translation>
    </message>
    <message>
        <source>Google&apos;s mid-size model: good writing and many languages.</source>
        <translation>Google 的中等规模模型：文笔好，支持多种语言。</translation>
    </message>
    <message>
        <source>Small and fast; runs well even without a GPU.</source>
        <translation>小巧快速；没有显卡也能流畅运行。</translation>
    </message>
    <message>
        <source>Meta&apos;s small model: quick answers on any machine.</source>
        <translation>Meta 的小模型：在任何机器上都能快速作答。</translation>
    </message>
    <message>
        <source>Tiny and quick on any CPU; English text.</source>
        <extracomment>Embedding models for documents (Settings → Documents), smallest first: small enough to sit beside a chat model, and better at finding passages than a chat model&apos;s own vectors.</extracomment>
        <translation>小巧，在任何 CPU 上都很快；适合英文文本。</translation>
    </message>
    <message>
        <source>A popular all-rounder for English documents, long passages included.</source>
        <translation>常用的英文文档通用模型，也能处理长段落。</translation>
    </message>
    <message>
        <source>Google&apos;s small embedder: over 100 languages at a modest size.</source>
        <translation>Google 的小型嵌入模型：体积适中，支持 100 多种语言。</translation>
    </message>
    <message>
        <source>The strongest of these: many languages and code; larger and slower.</source>
        <translation>其中最强：支持多种语言和代码；更大也更慢。</translation>
    </message>
</context>
<context>
    <name>RecommendationCard</name>
    <message>
        <source>checking the fit…</source>
        <translation>正在检查能否运行…</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Download {model}</source>
        <translation>下载 {model}</translation>
    </message>
    <message>
        <source>{speed} on {target}. {reason}</source>
        <translation>在 {target} 上 {speed}。{reason}</translation>
    </message>
    <message>
        <source>fit unknown</source>
        <translation>能否运行未知</translation>
    </message>
</context>
<context>
    <name>RepoView</name>
    <message>
        <source>← Results</source>
        <translation>← 搜索结果</translation>
    </message>
    <message>
        <source>Files (one per quantization):</source>
        <translation>文件（每种量化一个）：</translation>
    </message>
    <message>
        <source>Add to comparison</source>
        <translation>加入对比</translation>
    </message>
    <message>
        <source>Add the selected files (or all of them) to the spec sheet: sizes, fit and speed side by side</source>
        <translation>将选中的文件（未选中则全部）加入规格对比表：并排比较大小、是否放得下和速度</translation>
    </message>
    <message>
        <source>Loading the model card…</source>
        <translation>正在加载模型卡片…</translation>
    </message>
    <message>
        <source>Listing files…</source>
        <translation>正在列出文件…</translation>
    </message>
    <message>
        <source>*This repository has no model card.*</source>
        <translation>*此仓库没有模型卡片。*</translation>
    </message>
    <message>
        <source>This repository has no GGUF model files.</source>
        <translation>此仓库没有 GGUF 模型文件。</translation>
    </message>
    <message>
        <source>This model is gated: accept its licence on the Hub and log in (see Settings) before downloading.</source>
        <translation>此模型需要授权：请先在 Hub 上接受其许可协议并登录（见“设置”），然后再下载。</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Download {file}</source>
        <translation>下载 {file}</translation>
    </message>
</context>
<context>
    <name>SamplingPanel</name>
    <message>
        <source>System prompt (optional): how the model should behave</source>
        <extracomment>SamplingSettings fields the panel does not show but keeps.</extracomment>
        <translation>系统提示词（可选）：告诉模型应该如何表现</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>0 = always the most likely word</source>
        <translation>0 = 总是选择可能性最高的词</translation>
    </message>
    <message>
        <source>0 = no limit</source>
        <translation>0 = 不限制</translation>
    </message>
    <message>
        <source>0 = until the model stops</source>
        <translation>0 = 直到模型自行停止</translation>
    </message>
    <message>
        <source>-1 = a new seed each time</source>
        <translation>-1 = 每次使用新的随机种子</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Top p</source>
        <translation>Top p</translation>
    </message>
    <message>
        <source>Top k</source>
        <translation>Top k</translation>
    </message>
    <message>
        <source>Min p</source>
        <translation>Min p</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <source>Max tokens</source>
        <translation>最大 token 数</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Preset</source>
        <translation>预设</translation>
    </message>
    <message>
        <source>Structured output</source>
        <translation>结构化输出</translation>
    </message>
</context>
<context>
    <name>SearchResultsModel</name>
    <message>
        <source>gated</source>
        <translation>需授权</translation>
    </message>
    <message>
        <source>open</source>
        <translation>公开</translation>
    </message>
    <message>
        <source>Accept the licence on the Hub and log in to download</source>
        <translation>在 Hub 上接受许可协议并登录后即可下载</translation>
    </message>
</context>
<context>
    <name>ServerPage</name>
    <message>
        <source>Server</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Serve the loaded models to other programs over an OpenAI-compatible API (also Anthropic and Ollama shaped). Models named in a request load on demand.</source>
        <translation>通过兼容 OpenAI 的 API（也支持 Anthropic 与 Ollama 格式）把已加载的模型提供给其他程序使用。请求中指定的模型会按需加载。</translation>
    </message>
    <message>
        <source>Start server</source>
        <translation>启动服务</translation>
    </message>
    <message>
        <source>The server is off.</source>
        <translation>服务未开启。</translation>
    </message>
    <message>
        <source>Keep serving after the window closes</source>
        <translation>关闭窗口后继续提供服务</translation>
    </message>
    <message>
        <source>Closing the window then hides it and the app goes on serving in the background until it is stopped (Ctrl-C in its terminal, or its process ended).</source>
        <translation>关闭窗口时只会将其隐藏，应用在后台继续提供服务，直到被停止（在其终端按 Ctrl-C，或结束该进程）。</translation>
    </message>
    <message>
        <source>Save API conversations to the history</source>
        <translation>将 API 对话保存到历史记录</translation>
    </message>
    <message>
        <source>Off by default. When on, every conversation a program has through the API is kept in the history like a chat, tagged with the name of the key it used.</source>
        <translation>默认关闭。开启后，程序通过 API 进行的每段对话都会像聊天一样保存到历史记录中，并标注所用密钥的名称。</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Name (one word), e.g. alice</source>
        <translation>名称（一个词），例如 alice</translation>
    </message>
    <message>
        <source>Add key</source>
        <translation>添加密钥</translation>
    </message>
    <message>
        <source>Revoke</source>
        <translation>吊销</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>结束方式</translation>
    </message>
    <message>
        <source>Prompt tokens</source>
        <translation>提示词 token 数</translation>
    </message>
    <message>
        <source>Reply tokens</source>
        <translation>回复 token 数</translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation>token/秒</translation>
    </message>
    <message>
        <source>First token (ms)</source>
        <translation>首个 token（毫秒）</translation>
    </message>
    <message>
        <source>API keys</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>Loaded models</source>
        <translation>已加载的模型</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>请求记录</translation>
    </message>
    <message>
        <source>This app uses the model host of another process at {0}; that process serves the API (spark-desktop serve).</source>
        <translation>本应用正在使用位于 {0} 的另一个进程的模型主机；API 由该进程提供（spark-desktop serve）。</translation>
    </message>
    <message>
        <source>None loaded; a request naming a model on this machine loads it.</source>
        <translation>尚未加载模型；请求中指定本机上的模型时会自动加载。</translation>
    </message>
    <message>
        <source>{0} — {1}, context {2}, {3} requests running or waiting</source>
        <translation>{0} — {1}，上下文 {2}，{3} 个请求正在运行或排队</translation>
    </message>
    <message>
        <source>The model host is still starting; try again in a moment.</source>
        <translation>模型主机仍在启动，请稍后再试。</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Serving at {0}/v1 ({1}).</source>
        <translation>服务地址 {0}/v1（{1}）。</translation>
    </message>
    <message>
        <source>key required</source>
        <translation>需要密钥</translation>
    </message>
    <message>
        <source>no key: this machine only</source>
        <translation>无密钥：仅限本机</translation>
    </message>
    <message>
        <source>The server did not start: {0}</source>
        <translation>服务未能启动：{0}</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>Stop server</source>
        <translation>停止服务</translation>
    </message>
    <message>
        <source>Give the key a one-word name (who or what uses it).</source>
        <translation>请为密钥起一个单词名称（谁或什么程序在用它）。</translation>
    </message>
    <message>
        <source>There is already a key named {0}.</source>
        <translation>已存在名为 {0} 的密钥。</translation>
    </message>
    <message>
        <source>Copy this key now: it is shown only once.</source>
        <translation>请立即复制此密钥：它只显示这一次。</translation>
    </message>
    <message>
        <source>No keys: only programs on this machine can connect.</source>
        <translation>没有密钥：只有本机上的程序可以连接。</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>OK</source>
        <extracomment>The doctor&apos;s statuses and the theme choices in words (translated where shown).</extracomment>
        <translation>正常</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Same as the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Model folders</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>Downloads go to: {folder}</source>
        <translation>下载保存到：{folder}</translation>
    </message>
    <message>
        <source>Extra folders searched for GGUF models:</source>
        <translation>额外搜索 GGUF 模型的文件夹：</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Data folder (settings, chats, logs): {folder}</source>
        <translation>数据文件夹（设置、对话、日志）：{folder}</translation>
    </message>
    <message>
        <source>Checking the Hugging Face login…</source>
        <translation>正在检查 Hugging Face 登录状态…</translation>
    </message>
    <message>
        <source>Offline mode (never contact the Hub; models and chats still work)</source>
        <translation>离线模式（从不连接 Hub；模型和对话照常可用）</translation>
    </message>
    <message>
        <source>Default load settings</source>
        <translation>默认加载设置</translation>
    </message>
    <message>
        <source>all</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Flash attention</source>
        <translation>Flash Attention</translation>
    </message>
    <message>
        <source>Context length (tokens)</source>
        <translation>上下文长度（token）</translation>
    </message>
    <message>
        <source>KV cache type</source>
        <translation>KV 缓存类型</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <source>Default sampling</source>
        <translation>默认采样参数</translation>
    </message>
    <message>
        <source>until the model stops</source>
        <translation>直到模型停止</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <source>Max tokens per reply</source>
        <translation>每次回复的最大 token 数</translation>
    </message>
    <message>
        <source>Appearance and language</source>
        <translation>外观与语言</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>About this machine</source>
        <translation>关于本机</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>检查项</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>Check again</source>
        <translation>重新检查</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
    <message>
        <source>Add a folder with GGUF models</source>
        <translation>添加包含 GGUF 模型的文件夹</translation>
    </message>
    <message>
        <source>Logged in to Hugging Face: gated models you accepted can be downloaded.</source>
        <translation>已登录 Hugging Face：你已接受许可的受限模型可以下载。</translation>
    </message>
    <message>
        <source>Not logged in to Hugging Face. Public models download without it; for gated models, accept the licence on the Hub and run `hf auth login` in a terminal.</source>
        <translation>未登录 Hugging Face。公开模型无需登录即可下载；受限模型需先在 Hub 上接受许可，再在终端运行 `hf auth login`。</translation>
    </message>
</context>
<context>
    <name>Shortcuts</name>
    <message>
        <source>Go to Chat</source>
        <extracomment>(keys, what they do): the window&apos;s shortcuts and the keys of its widgets, in English.</extracomment>
        <translation>前往“对话”</translation>
    </message>
    <message>
        <source>Go to Discover</source>
        <translation>前往“发现”</translation>
    </message>
    <message>
        <source>Go to Downloads</source>
        <translation>前往“下载”</translation>
    </message>
    <message>
        <source>Go to My Models</source>
        <translation>前往“我的模型”</translation>
    </message>
    <message>
        <source>Go to Compare</source>
        <translation>转到对比</translation>
    </message>
    <message>
        <source>Go to Server</source>
        <translation>前往“服务”</translation>
    </message>
    <message>
        <source>Go to Settings</source>
        <translation>前往“设置”</translation>
    </message>
    <message>
        <source>Lock the window (with a passphrase set)</source>
        <translation>锁定窗口（需已设置口令）</translation>
    </message>
    <message>
        <source>Start a new chat</source>
        <translation>开始新对话</translation>
    </message>
    <message>
        <source>Search all chats</source>
        <translation>搜索全部对话</translation>
    </message>
    <message>
        <source>Edit your last message</source>
        <translation>编辑你的上一条消息</translation>
    </message>
    <message>
        <source>Regenerate the last reply</source>
        <translation>重新生成上一条回复</translation>
    </message>
    <message>
        <source>Copy the last reply</source>
        <translation>复制上一条回复</translation>
    </message>
    <message>
        <source>Send the message (in the message box)</source>
        <translation>发送消息（在输入框中）</translation>
    </message>
    <message>
        <source>New line in the message box</source>
        <translation>在输入框中换行</translation>
    </message>
    <message>
        <source>Stop the reply, or stop editing a message</source>
        <translation>停止回复，或退出消息编辑</translation>
    </message>
    <message>
        <source>Move to the next control</source>
        <translation>移到下一个控件</translation>
    </message>
    <message>
        <source>Move to the previous control</source>
        <translation>移到上一个控件</translation>
    </message>
    <message>
        <source>Rename, pin or delete the selected chat</source>
        <translation>重命名、置顶或删除选中的对话</translation>
    </message>
    <message>
        <source>Show this list of shortcuts</source>
        <translation>显示此快捷键列表</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Everything in Spark Desktop can be reached with the keyboard.</source>
        <translation>Spark Desktop 的所有功能都可以用键盘操作。</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
</context>
<context>
    <name>SpecSheet</name>
    <message>
        <source>The target in Settings</source>
        <extracomment>The targets the sheet offers: key, and its name (the Settings&apos; plan comes first).</extracomment>
        <translation>设置中的目标</translation>
    </message>
    <message>
        <source>A DGX Spark</source>
        <translation>一台 DGX Spark</translation>
    </message>
    <message>
        <source>Two DGX Sparks</source>
        <translation>两台 DGX Spark</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>放得下</translation>
    </message>
    <message>
        <source>with less context</source>
        <translation>需缩短上下文</translation>
    </message>
    <message>
        <source>does not fit</source>
        <translation>放不下</translation>
    </message>
    <message>
        <source>error</source>
        <translation>出错</translation>
    </message>
    <message>
        <source>reading…</source>
        <translation>读取中…</translation>
    </message>
    <message>
        <source>Spec sheet</source>
        <translation>规格对比表</translation>
    </message>
    <message>
        <source>Context length in tokens</source>
        <translation>上下文长度（token 数）</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>Repository to chart</source>
        <translation>要绘图的仓库</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Context:</source>
        <translation>上下文：</translation>
    </message>
    <message>
        <source>Target:</source>
        <translation>目标：</translation>
    </message>
    <message>
        <source>Quantizations of:</source>
        <translation>量化版本所属仓库：</translation>
    </message>
    <message>
        <source>Reading {n} headers…</source>
        <translation>正在读取 {n} 个文件头…</translation>
    </message>
    <message>
        <source>Every model above</source>
        <translation>上面所有模型</translation>
    </message>
</context>
<context>
    <name>SpeedChart</name>
    <message>
        <source>Predicted generation speed as the context fills</source>
        <translation>随上下文增长的预测生成速度</translation>
    </message>
    <message>
        <source>Predicted generation speed: {empty} tok/s with an empty context, {full} tok/s with {tokens} tokens in it.</source>
        <translation>预测生成速度：上下文为空时 {empty} tok/s，上下文中已有 {tokens} 个 token 时 {full} tok/s。</translation>
    </message>
    <message>
        <source>tok/s as the context fills</source>
        <translation>随上下文增长的 tok/s</translation>
    </message>
</context>
<context>
    <name>StructuredOutput</name>
    <message>
        <source>Structured output</source>
        <extracomment>The editor&apos;s placeholder: JSON, the same in every language.</extracomment>
        <translation>结构化输出</translation>
    </message>
    <message>
        <source>Off: free text</source>
        <translation>关闭：自由文本</translation>
    </message>
    <message>
        <source>JSON object</source>
        <translation>JSON 对象</translation>
    </message>
    <message>
        <source>JSON schema</source>
        <translation>JSON 模式</translation>
    </message>
    <message>
        <source>Make every reply JSON: any object, or one that follows your JSON schema (enforced while sampling).</source>
        <translation>让每条回复都是 JSON：任意对象，或符合你的 JSON 模式的对象（在采样时强制执行）。</translation>
    </message>
    <message>
        <source>Write a JSON schema, e.g. the example shown, or choose JSON object.</source>
        <translation>请写一个 JSON 模式（例如所示示例），或选择“JSON 对象”。</translation>
    </message>
    <message>
        <source>The JSON schema</source>
        <translation>JSON 模式</translation>
    </message>
    <message>
        <source>The chat keeps its previous setting.</source>
        <translation>对话保留之前的设置。</translation>
    </message>
</context>
<context>
    <name>ToolsBar</name>
    <message>
        <source>Use &amp;tools</source>
        <translation>使用工具(&amp;T)</translation>
    </message>
    <message>
        <source>Offer the model the tools of the configured MCP servers; each call asks you first.</source>
        <translation>向模型提供已配置的 MCP 服务器的工具；每次调用前都会先询问你。</translation>
    </message>
    <message>
        <source>&amp;Must call a tool</source>
        <translation>必须调用工具(&amp;M)</translation>
    </message>
    <message>
        <source>The next reply must be a tool call (its JSON is enforced, so even a small model makes a valid one).</source>
        <translation>下一条回复必须是工具调用（其 JSON 会被强制约束，所以即使是小模型也能生成有效的调用）。</translation>
    </message>
    <message numerus="yes">
        <source>%n tool(s) available</source>
        <translation>
            <numerusform>有 %n 个工具可用</numerusform>
        </translation>
    </message>
    <message>
        <source>No tools available</source>
        <translation>没有可用的工具</translation>
    </message>
</context>
<context>
    <name>VariantsModel</name>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>checking…</source>
        <translation>检查中…</translation>
    </message>
    <message>
        <source>incomplete</source>
        <translation>不完整</translation>
    </message>
    <message>
        <source>On {target}: {reason}</source>
        <translation>在 {target} 上：{reason}</translation>
    </message>
    <message>
        <source>Some parts of this split model are missing on the Hub.</source>
        <translation>此分卷模型在 Hub 上缺少部分文件。</translation>
    </message>
    <message>
        <source>Predicted decode speed on {target}</source>
        <translation>在 {target} 上的预计生成速度</translation>
    </message>
</context>
<context>
    <name>bridges</name>
    <message>
        <source>Something went wrong: {error}</source>
        <extracomment>The pause between two steps of `in_turn`: what the GUI posted to later turns of its event loop after a result (a page shown, the welcome cards one per turn) runs before the next step&apos;s worker competes with it for the interpreter lock.</extracomment>
        <translation>出错了：{error}</translation>
    </message>
</context>
<context>
    <name>doctor</name>
    <message>
        <source>Python</source>
        <extracomment>The doctor&apos;s check names, translated where shown (their details stay in English: the doctor writes them from its findings, for the terminal too).</extracomment>
        <translation>Python</translation>
    </message>
    <message>
        <source>Qt</source>
        <translation>Qt</translation>
    </message>
    <message>
        <source>llama.cpp backend</source>
        <translation>llama.cpp 后端</translation>
    </message>
    <message>
        <source>llama.cpp runs</source>
        <translation>llama.cpp 试运行</translation>
    </message>
    <message>
        <source>llama.cpp RPC</source>
        <translation>llama.cpp RPC</translation>
    </message>
    <message>
        <source>GPU</source>
        <translation>GPU</translation>
    </message>
    <message>
        <source>Memory pool</source>
        <translation>内存池</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>数据文件夹</translation>
    </message>
    <message>
        <source>Models folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>Hugging Face Hub</source>
        <translation>Hugging Face Hub</translation>
    </message>
    <message>
        <source>CJK font</source>
        <translation>中日韩字体</translation>
    </message>
</context>
<context>
    <name>errors</name>
    <message>
        <source>You are offline; search needs the internet. Your models and chats still work.</source>
        <extracomment>Fixed sentences of the Qt-free core&apos;s errors that the window shows often, marked for translation here (the core has no catalogue): error_text looks each error&apos;s sentence up in the context &quot;errors&quot;, so any sentence listed gets its translation, others stay English.</extracomment>
        <translation>当前处于离线状态；搜索需要联网。本地模型和对话仍可正常使用。</translation>
    </message>
    <message>
        <source>You are offline; listing a repository&apos;s files needs the internet. Your models and chats still work.</source>
        <translation>当前处于离线状态；列出仓库文件需要联网。本地模型和对话仍可正常使用。</translation>
    </message>
    <message>
        <source>You are offline; the model card needs the internet.</source>
        <translation>当前处于离线状态；查看模型卡片需要联网。</translation>
    </message>
</context>
<context>
    <name>fitview</name>
    <message>
        <source>Measured here: {speed} tok/s (median of %n replies).</source>
        <extracomment>Points of the load dialog&apos;s speed chart, from an empty context to the whole one.</extracomment>
        <translation>本机实测：{speed} tok/s（%n 次回复的中位数）。</translation>
    </message>
    <message>
        <source>system memory</source>
        <translation>系统内存</translation>
    </message>
    <message>
        <source>Needs {need} of {have}, with a safety margin to spare.</source>
        <translation>需要 {need}（共 {have}），仍留有安全余量。</translation>
    </message>
    <message>
        <source>Needs {need} in {pool} but it offers {have} ({limit} after the safety margin)</source>
        <translation>{pool} 需要 {need}，但只有 {have}（扣除安全余量后为 {limit}）</translation>
    </message>
    <message>
        <source>{short}; fits with a context of {tokens} tokens.</source>
        <translation>{short}；上下文缩短到 {tokens} 个 token 即可放下。</translation>
    </message>
    <message>
        <source>{short}; fits with %n layer(s) on the GPU (the rest runs on the CPU, slower).</source>
        <translation>{short}；把 %n 层放在 GPU 上即可放下（其余在 CPU 上运行，速度较慢）。</translation>
    </message>
    <message>
        <source>{short}.</source>
        <translation>{short}。</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>可运行</translation>
    </message>
    <message>
        <source>does not fit</source>
        <translation>内存不足</translation>
    </message>
    <message>
        <source>fits with less context</source>
        <translation>缩短上下文可运行</translation>
    </message>
    <message>
        <source>partial offload</source>
        <translation>部分 GPU 卸载</translation>
    </message>
    <message>
        <source>weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation>KV 缓存</translation>
    </message>
    <message>
        <source>compute</source>
        <translation>计算</translation>
    </message>
    <message>
        <source>other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>Predicted speed: {decode} writing, ≈ {prefill} tok/s reading the prompt. Largest context that fits: {tokens} tokens.</source>
        <translation>预测速度：生成 {decode}，读取提示词 ≈ {prefill} tok/s。可容纳的最大上下文：{tokens} 个 token。</translation>
    </message>
    <message>
        <source>Predicted from the model&apos;s header and the machine&apos;s bandwidth and compute; replies run here refine it.</source>
        <translation>根据模型文件头以及机器的内存带宽和算力预测；在本机运行的回复会进一步校正。</translation>
    </message>
    <message>
        <source>Prediction corrected by the replies measured on this machine: writing ×{decode}, reading the prompt ×{prefill}.</source>
        <translation>预测已根据本机实测的回复校正：生成 ×{decode}，读取提示词 ×{prefill}。</translation>
    </message>
    <message>
        <source>a DGX Spark</source>
        <translation>DGX Spark</translation>
    </message>
    <message>
        <source>two DGX Sparks</source>
        <translation>两台 DGX Spark</translation>
    </message>
    <message>
        <source>this machine</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>{machine} and %n RPC peer(s)</source>
        <translation>{machine} + %n 个 RPC 节点</translation>
    </message>
    <message>
        <source>an {size} pool</source>
        <translation>{size} 内存池</translation>
    </message>
    <message>
        <source>a {size} pool</source>
        <translation>{size} 内存池</translation>
    </message>
    <message>
        <source>{target} ({size} usable)</source>
        <translation>{target}（可用 {size}）</translation>
    </message>
    <message>
        <source>Planning for {target} — {size} usable, {bandwidth} GB/s</source>
        <translation>按 {target} 规划 — 可用 {size}，{bandwidth} GB/s</translation>
    </message>
</context>
</TS>
