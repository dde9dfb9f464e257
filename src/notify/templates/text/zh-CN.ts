/**
 * 简体中文文本。Jurisdictions: CN (SMS signed 【lender】, the Civil Code in the demand letter, the
 * official-channels warning), US and US-CA (the FDCPA disclosure and the Rosenthal Act notice, in
 * Chinese, for borrowers there who read Chinese).
 */
import type { LanguagePack } from "./pack";

export const zhCN: LanguagePack = {
  language: "zh-CN",
  script: "cjk",
  templates: {
    "reminder.before-due": {
      default: {
        subject: "还款提醒：{dueDate}应还{amountDue}",
        sms: "您的贷款{reference}第{installment}期应还{amountDue}，将于{dueDate}到期（还有{days}天），请按时还款。",
        body: "温馨提示：您的贷款{reference}第{installment}期应还金额为{amountDue}，将于{dueDate}到期（还有{days}天）。\n\n请在到期日前确保足额还款。如您已还款，请忽略本通知，感谢您的配合。",
      },
    },
    "reminder.due": {
      default: {
        subject: "今日还款提醒：应还{amountDue}",
        sms: "您的贷款{reference}第{installment}期应还{amountDue}，今日（{dueDate}）到期，请按时还款。",
        body: "您的贷款{reference}第{installment}期应还金额为{amountDue}，今日（{dueDate}）到期。\n\n如您已还款，请忽略本通知，感谢您按时还款。",
      },
    },
    "reminder.overdue": {
      default: {
        subject: "逾期提醒：贷款{reference}逾期金额{amountOverdue}",
        sms: "您的贷款{reference}已逾期{dpd}天，逾期金额{amountOverdue}。请尽快还款，如有困难请与我们联系。",
        body:
          "经核查，您的贷款{reference}第{installment}期（到期日{dueDate}）尚未足额还款，目前已逾期{dpd}天，逾期金额为{amountOverdue}。\n\n" +
          "请尽快归还逾期款项。根据贷款合同约定，逾期还款可能产生罚息及相关费用。如您还款确有困难，请及时与我们联系协商。",
      },
    },
    "penalty.assessed": {
      default: {
        subject: "罚息通知：贷款{reference}",
        sms: "您的贷款{reference}已逾期{dpd}天，目前罚息及费用合计{penalty}。尽快归还逾期款项可避免费用继续增加。",
        body:
          "由于您的贷款{reference}第{installment}期已逾期{dpd}天，根据贷款合同约定已计收罚息及逾期费用，目前合计{penalty}。\n\n" +
          "尽快归还逾期款项可避免费用继续增加。如您对此有疑问，请与我们联系。",
      },
    },
    "classification.changed": {
      default: {
        subject: "贷款{reference}状态变更通知",
        body:
          "您的贷款{reference}的风险分类已由“{from}”变更为“{to}”（逾期{dpd}天）。\n\n" +
          "该分类依据适用于贷款机构的监管规定确定。及时还清逾期款项有助于改善分类；如有疑问，请与我们联系。",
      },
    },
    "default.notice": {
      default: {
        subject: "违约通知：贷款{reference}",
        sms: "您的贷款{reference}已构成违约（逾期{dpd}天，逾期金额{amountOverdue}），正式违约通知已发出，请立即与我们联系。",
        body:
          "您的贷款{reference}第{installment}期已逾期{dpd}天未还，超过贷款合同约定的期限，已构成违约。目前逾期金额为{amountOverdue}。\n\n" +
          "请您立即归还逾期款项，或与我们联系协商还款安排。如违约状态未能消除，我们将依照合同约定及法律规定采取进一步措施追偿债务。",
      },
    },
    "demand.letter": {
      default: {
        subject: "律师函：贷款{reference}",
        body:
          "本函受{lenderName}委托，就您的贷款{reference}逾期事宜致函。该贷款已逾期{dpd}天。\n\n" +
          "截至本函出具之日，逾期金额为{amountOverdue}，根据贷款合同约定计收的罚息及费用为{penalty}。\n\n" +
          "现正式要求您于{payBy}前清偿上述逾期款项及罚息、费用。如届时仍未清偿，委托人可能提起法律程序追偿债务及相关利息、费用，届时不再另行通知。\n\n" +
          "如您对上述债务的全部或部分有异议，请于{payBy}前以书面形式告知我们。",
      },
      CN: {
        body:
          "本函受{lenderName}委托，就您的贷款{reference}逾期事宜致函。该贷款已逾期{dpd}天。\n\n" +
          "截至本函出具之日，逾期金额为{amountOverdue}，根据贷款合同约定计收的罚息及费用为{penalty}。\n\n" +
          "根据《中华人民共和国民法典》第五百七十七条，当事人一方不履行合同义务或者履行合同义务不符合约定的，应当承担继续履行、采取补救措施或者赔偿损失等违约责任。\n\n" +
          "现正式要求您于{payBy}前清偿上述逾期款项及罚息、费用。如届时仍未清偿，委托人将依法提起诉讼，追偿全部债务、利息及相关费用，届时不再另行通知。\n\n" +
          "如您对上述债务的全部或部分有异议，请于{payBy}前以书面形式告知我们。",
      },
    },
    "restructure.proposed": {
      default: {
        subject: "贷款{reference}新还款计划",
        sms: "我们已为您的贷款{reference}提出新还款计划：共{installmentCount}期，首期于{firstDueDate}到期。请查看，如同意请确认接受。",
        body:
          "我们已为您的贷款{reference}提出新的还款计划（第{scheduleVersion}版）：共{installmentCount}期，合计{totalAmount}，首期于{firstDueDate}到期。\n\n" +
          "新计划须经您确认接受后方可生效。请仔细查看，如同意请确认接受，或与我们联系协商。",
      },
    },
    "promise.confirmation": {
      default: {
        subject: "还款承诺确认：{promiseAmount}",
        sms: "感谢您的配合。我们已记录您承诺于{promiseDueBy}前为贷款{reference}还款{promiseAmount}。",
        body: "感谢您的配合。我们已记录您承诺于{promiseDueBy}前为贷款{reference}还款{promiseAmount}。\n\n请按时还款。如有变化，请在该日期前与我们联系。",
      },
    },
    "promise.broken": {
      default: {
        subject: "承诺还款未到账：贷款{reference}",
        sms: "您承诺于{promiseDueBy}前为贷款{reference}还款{promiseAmount}，目前尚未足额到账。请立即还款或与我们联系。",
        body: "您曾承诺于{promiseDueBy}前为贷款{reference}还款{promiseAmount}，截至目前我们尚未收到足额款项。\n\n请立即还款；如需重新协商还款安排，请与我们联系。",
      },
    },
    "custom.request": {
      default: {
        subject: "关于您的贷款{reference}",
        sms: "关于您的贷款{reference}：目前应还金额为{amountDue}。请尽快还款，如有疑问请与我们联系。",
        body: "您好，现就您的贷款{reference}与您联系。目前应还金额为{amountDue}。\n\n请尽快还款；如有任何疑问，请随时与我们联系。",
      },
    },
    "holiday.confirmation": {
      default: {
        subject: "贷款{reference}还款宽限期确认",
        sms: "贷款{reference}的还款宽限期已确认：{holidayEnd}前无需还款，下一期还款日为{firstDueDate}。",
        body:
          "现确认您的贷款{reference}已获准还款宽限期。{holidayEnd}前无需还款，延后的各期在此之前不发送提醒，也不计收罚息。\n\n" +
          "调整后的还款计划共{installmentCount}期，合计{totalAmount}，首期还款日为{firstDueDate}。如情况有变，请与我们联系。",
      },
    },
    "settlement.offer": {
      default: {
        subject: "贷款{reference}和解结清方案",
        sms: "贷款{reference}和解方案：如于{settlementDeadline}前还款{settlementAmount}，即视为结清。如有疑问请与我们联系。",
        body:
          "您的贷款{reference}目前尚欠{totalAmount}。如您于{settlementDeadline}前还款{settlementAmount}，该笔贷款即视为和解结清，其余款项予以减免。\n\n" +
          "逾期未还，本方案自动失效，贷款按原约定继续履行。如接受本方案，请在上述日期前还款，或与我们联系办理。",
      },
    },
    "settlement.confirmation": {
      default: {
        subject: "贷款{reference}已和解结清",
        sms: "贷款{reference}已和解结清：已收到{settlementAmount}，减免{forgivenAmount}。谢谢。",
        body: "现确认您的贷款{reference}已和解结清。我们已收到{settlementAmount}，其余{forgivenAmount}已予减免，本笔贷款再无欠款。\n\n谢谢。请妥善保存本函。",
      },
    },
    "arrears.confirmation": {
      default: {
        subject: "贷款{reference}逾期还款计划确认",
        sms: "贷款{reference}逾期还款计划已确认：逾期款{totalAmount}分{partCount}期归还，首期{nextPartAmount}须于{nextPartDate}前还款，正常各期照常还款。",
        body:
          "现确认您的贷款{reference}的逾期款项{totalAmount}按约定分{partCount}期归还。首期{nextPartAmount}须于{nextPartDate}前还款；正常各期仍按原计划还款。\n\n" +
          "按计划还款期间，我们不再就逾期款项发送提醒。罚息仍按贷款合同计收。如有一期未按时足额还款，该计划即告终止；如无法按时还款，请提前与我们联系。",
      },
    },
    "arrears.broken": {
      default: {
        subject: "贷款{reference}逾期还款计划已终止",
        sms: "贷款{reference}逾期还款计划中应于{nextPartDate}前归还的一期未足额还款（差额{nextPartAmount}），该计划已终止。请与我们联系。",
        body:
          "贷款{reference}逾期还款计划中应于{nextPartDate}前归还的一期未足额还款，差额{nextPartAmount}。该计划因此终止，逾期款项按贷款合同到期应还。\n\n" +
          "请归还逾期款项，或与我们联系说明您的情况。",
      },
    },
  },
  common: {
    lenderName: "贷款机构",
    greeting: "尊敬的客户：",
    closing: "此致\n{lenderName}",
    referenceLine: "贷款编号：{reference}（贷款号 {loanId}）",
    tokenAmount: "{amount} {symbol}",
    dateLine: "日期：{date}",
    labels: {
      reference: "贷款编号",
      amountDue: "应还金额",
      amountOverdue: "逾期金额",
      penalty: "罚息及费用",
      promiseAmount: "承诺还款金额",
      totalAmount: "新计划合计",
      dueDate: "到期日",
      promiseDueBy: "承诺还款日",
      firstDueDate: "首期到期日",
      payBy: "清偿期限",
      dpd: "逾期天数",
      installment: "期次",
      offsetDays: "距到期日天数",
      classificationFrom: "原风险分类",
      classificationTo: "风险分类",
      scheduleVersion: "计划版本",
      installmentCount: "期数",
    },
    values: {
      installment: "第{installment}期",
      dpd: "{dpd}天",
      classification: "{name, select, normal {正常} special_mention {关注} substandard {次级} doubtful {可疑} loss {损失} other {{name}}}",
      installmentCount: "{count}期",
    },
    smsFrame: { default: "{lenderName}：{text}", CN: "【{lenderName}】{text}" },
    disclosure: {
      default: null,
      CN: "请通过贷款合同约定的官方渠道还款，谨防诈骗。如对上述款项有异议，请及时与我们联系。",
      US: "本函旨在催收债务，所获取的任何信息都将用于该目的。",
      "US-CA":
        "本函旨在催收债务，所获取的任何信息都将用于该目的。\n\n" +
        "加利福尼亚州《罗森塔尔公平债务催收行为法》及联邦《公平债务催收行为法》规定，除特殊情况外，催收人不得在上午8时前或晚上9时后与您联系；不得以暴力或逮捕相威胁或使用下流语言骚扰您；不得作虚假或误导性陈述；如知道或有理由知道您不能在工作场所接听私人电话，不得致电您的工作场所。一般而言，催收人不得向您的律师或配偶以外的任何人透露您的债务，但可为确认您的住址或执行判决而联系他人。有关债务催收活动的更多信息，可联系美国联邦贸易委员会：1-877-FTC-HELP 或 www.ftc.gov。",
    },
    addressSheetRef: "随附贷款{reference}的信函",
  },
};
